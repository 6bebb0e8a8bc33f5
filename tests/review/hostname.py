"""Airflow's `hostname_callable` in the native compose stack (tests/review/native_stack.py): each instance's HOSTNAME,
as `socket.getfqdn()` is in a container. Kept apart so Airflow's processes import nothing else of the tests."""

from __future__ import annotations

import os


def container_hostname() -> str:
    return os.environ["HOSTNAME"]
