"""The review policy file: every source's stewards and safe default, and a clear error for a wrong row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.core.errors import ConfigError
from tasks.review import policy as review_policy
from tasks.review.decisions import Decision
from tasks.sources import REGISTRY
from tasks.sources.base import InboxForm

HEADER = ",".join(review_policy.COLUMNS)


def test_every_fetched_source_has_stewards_and_a_safe_default() -> None:
    policies = review_policy.load()
    # the department forms of the inbox are answered by their receipts, not reviewed
    assert set(policies) == {name for name, adapter in REGISTRY.items() if not isinstance(adapter, InboxForm)}
    for policy in policies.values():
        assert policy.stewards and all("@" in e for e in policy.steward_emails) and "@" in policy.provider_email
        assert policy.on_timeout in review_policy.SAFE_OPTIONS
        assert policy.timeout_option(breach=True) == "reject"   # a breach never lands unattended


@pytest.mark.parametrize(("row", "column", "why"), [
    ("air,,a@x.cn,p,p@x.cn,2,accept_clean", "stewards", "at least one"),
    ("air,li.na,nobody,p,p@x.cn,2,accept_clean", "steward_emails", "email"),
    ("air,li.na,a@x.cn,p,p@x.cn,soon,accept_clean", "response_timeout_hours", "hours"),
    ("air,li.na,a@x.cn,p,p@x.cn,0,accept_clean", "response_timeout_hours", "positive"),
    ("air,li.na,a@x.cn,p,p@x.cn,2,accept_all", "on_timeout", "needs a person"),
])
def test_a_wrong_row_names_file_line_and_column(tmp_path: Path, row: str, column: str, why: str) -> None:
    path = tmp_path / "policy.csv"
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        review_policy.load(path)
    assert f"{path}, line 2, column {column}" in str(caught.value) and why in str(caught.value)


def test_wrong_columns_and_an_unknown_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "policy.csv"
    path.write_text("source,stewards\nair,li.na\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="columns must be"):
        review_policy.load(path)
    path.write_text(f"{HEADER}\nair,li.na,a@x.cn,p,p@x.cn,2,reject\n", encoding="utf-8")
    monkeypatch.setenv("ECOFLOW_REVIEW_POLICY", str(path))
    assert review_policy.for_source("air").timeout_option(breach=False) == "reject"
    with pytest.raises(ConfigError, match="no review policy for source 'waste'"):
        review_policy.for_source("waste")


@pytest.mark.parametrize("option", ["accept_all", "reject"])
def test_an_override_or_a_rejection_needs_a_reason_but_a_timeout_does_not(option: str) -> None:
    with pytest.raises(Exception, match="needs a written reason"):
        Decision(option, "li.na", "airflow", "  ").check()
    Decision(option, "li.na", "airflow", "核实过").check()
    Decision(option, "timeout", "timeout").check()
    Decision("accept_clean", "li.na", "cli").check()
