"""ECOFLOW_MONTHLY_PDF: the 月报's PDF is printed with each evaluation unless it is turned off in so many words."""

from __future__ import annotations

import pytest

from tasks.core import settings


@pytest.mark.parametrize(("value", "printed"), [(None, True), ("1", True), ("yes", True), ("0", False),
                                                ("false", False), (" OFF ", False), ("no", False)])
def test_the_monthly_pdf_is_on_unless_turned_off(value: str | None, printed: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv("ECOFLOW_MONTHLY_PDF", raising=False)
    else:
        monkeypatch.setenv("ECOFLOW_MONTHLY_PDF", value)
    assert settings.load().monthly_pdf is printed
