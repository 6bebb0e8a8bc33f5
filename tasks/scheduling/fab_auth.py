"""The FAB auth manager of production (docker-compose.yml), changed so that a steward can answer a review.

Stock FAB (provider 3.10.2, Airflow 3.3) fails a steward twice on a review: answering a human-in-the-loop task asks
for the right to edit the whole DAG (which also pauses and unpauses it), and the task's assigned users are compared
with FAB's numeric user id while the review names its stewards by login (review_policy.csv: `li.na`). Both answered
403 to every steward in the native-stack test (tests/review/test_native_stack.py). Here answering takes `can_edit`
on `HITL Detail` (the Steward role, deploy/fab_setup.py) and read access to the DAG, and the stewards are matched
by login name; everything else is FAB's own.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager
from airflow.providers.fab.www.security.permissions import RESOURCE_HITL_DETAIL


class StewardFabAuthManager(FabAuthManager):
    """FabAuthManager, with the review answered by a steward's rights rather than a DAG editor's."""

    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: DagAccessEntity | None = None,
                          details: Any = None) -> bool:
        """Answering a review (PUT on its HITL detail): `can_edit` on HITL Detail and read access to the DAG."""
        if access_entity == DagAccessEntity.HITL_DETAIL and method == "PUT":
            return (self._is_authorized(method="PUT", resource_type=RESOURCE_HITL_DETAIL, user=user)
                    and super().is_authorized_dag(method="GET", user=user, details=details))
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)

    def is_authorized_hitl_task(self, *, assigned_users: set[str], user: Any) -> bool:
        """The review's stewards are logins (FAB's `get_id()` is the numeric row id, `get_name()` the login)."""
        return user.get_name() in assigned_users
