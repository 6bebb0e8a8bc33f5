"""The FAB roles and the first administrator, in one process (each `airflow roles …` / `users …` command would
start Airflow again; deploy/airflow-init.sh runs this after `airflow db migrate`, which creates FAB's tables).

Admin, Op, Viewer (and User, Public) are FAB's built-in roles, synced here as `airflow sync-perm` does. Steward
adds to Viewer the right to answer a review: read and edit `HITL Detail`; the review task's `assigned_users`
keeps each steward to the sources `warehouse/catalogue/review_policy.csv` names them for.
"""

from __future__ import annotations

import os

from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

STEWARD = "Steward"
STEWARD_PERMISSIONS = (("can_read", "HITL Detail"), ("can_edit", "HITL Detail"))


def main() -> None:
    with get_application_builder() as appbuilder:
        appbuilder.add_permissions(update_perms=True)
        sm = appbuilder.sm
        sm.sync_roles()
        steward = sm.add_role(STEWARD)
        for action, resource in STEWARD_PERMISSIONS:
            sm.add_permission_to_role(steward, sm.create_permission(action, resource))
        username = os.environ["ECOFLOW_ADMIN_USERNAME"]
        if sm.find_user(username=username) is None:
            user = sm.add_user(username, "ecoflow", "admin", os.environ["ECOFLOW_ADMIN_EMAIL"], sm.find_role("Admin"),
                               os.environ["ECOFLOW_ADMIN_PASSWORD"])
            if not user:
                raise SystemExit(f"could not create the administrator {username!r} (see the log above)")
        print(f"FAB roles synced, {STEWARD} has {', '.join(a for a, _ in STEWARD_PERMISSIONS)} on HITL Detail; "
              f"administrator {username!r} present")


if __name__ == "__main__":
    main()
