"""Shared helper of the demo servers' command lines."""

from __future__ import annotations

import signal
import time


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM, both raised as KeyboardInterrupt so ``with`` shuts down cleanly.

    SIGINT is re-armed explicitly: a shell starting us in the background (``&``) leaves it ignored.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    while True:
        time.sleep(3600)
