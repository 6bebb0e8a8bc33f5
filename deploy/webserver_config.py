"""Logins for the FAB auth manager (AIRFLOW__FAB__CONFIG_FILE points here): Airflow's own user table by default,
the bureau's LDAP when ECOFLOW_LDAP_SERVER is set. LDAP groups map to the four roles (docs/operations.md)."""

from __future__ import annotations

import os

from flask_appbuilder.const import AUTH_DB, AUTH_LDAP

WTF_CSRF_ENABLED = True
AUTH_TYPE = AUTH_DB

if os.environ.get("ECOFLOW_LDAP_SERVER"):
    AUTH_TYPE = AUTH_LDAP
    AUTH_LDAP_SERVER = os.environ["ECOFLOW_LDAP_SERVER"]               # ldaps://ldap.sthjj.example.gov.cn:636
    AUTH_LDAP_USE_TLS = False                                          # ldaps:// already encrypts
    AUTH_LDAP_SEARCH = os.environ["ECOFLOW_LDAP_SEARCH"]               # ou=people,dc=sthjj,dc=gov,dc=cn
    AUTH_LDAP_UID_FIELD = os.environ.get("ECOFLOW_LDAP_UID_FIELD", "uid")   # sAMAccountName on Active Directory
    AUTH_LDAP_BIND_USER = os.environ["ECOFLOW_LDAP_BIND_USER"]
    AUTH_LDAP_BIND_PASSWORD = os.environ["ECOFLOW_LDAP_BIND_PASSWORD"]
    AUTH_LDAP_GROUP_FIELD = "memberOf"
    AUTH_USER_REGISTRATION = True          # an LDAP user gets an Airflow user at first login …
    AUTH_USER_REGISTRATION_ROLE = "Public"  # … with no rights until a group below grants them
    AUTH_ROLES_SYNC_AT_LOGIN = True         # leaving a group removes the role at the next login
    AUTH_ROLES_MAPPING = {
        os.environ["ECOFLOW_LDAP_GROUP_ADMINS"]: ["Admin"],
        os.environ["ECOFLOW_LDAP_GROUP_OPERATORS"]: ["Op"],
        os.environ["ECOFLOW_LDAP_GROUP_STEWARDS"]: ["Viewer", "Steward"],
        os.environ["ECOFLOW_LDAP_GROUP_VIEWERS"]: ["Viewer"],
    }
