"""Who reviews a source's failing batches, how long they have, and what happens when nobody answers.

Read from warehouse/catalogue/review_policy.csv (or the file ECOFLOW_REVIEW_POLICY names) when a review is opened, so
a change applies to the next review without redeploying. Only the standard library is used: the review operator,
which the DAG processor imports, needs the option labels from here.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tasks.core.errors import ConfigError

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "warehouse" / "catalogue" / "review_policy.csv"
#: Each decision's code and the label a steward sees on its button. Decisions travel and are stored as the codes;
#: the labels are shown to people only (Airflow's HITL options, emails, the CLI's lines).
LABELS = {
    "accept_clean": "接受（剔除不合格行）",
    "accept_all": "全部接受（须填写理由）",
    "reject": "退回（须填写理由）",
}


def label(option: str) -> str:
    """The button a steward sees for a decision code (Airflow's HITL options are these labels)."""
    return LABELS[option]


def option_of(label_shown: str) -> str:
    """The decision code of a button's label: where Airflow's answer comes back, the label becomes a code at once."""
    for code, text in LABELS.items():
        if text == label_shown:
            return code
    raise ValueError(f"not a review option: {label_shown!r} (one of {', '.join(LABELS.values())})")


#: What a timeout may do: land the rows that pass, or land nothing. Accepting failing rows needs a person.
SAFE_OPTIONS = ("accept_clean", "reject")
COLUMNS = ["source", "stewards", "steward_emails", "provider", "provider_email", "response_timeout_hours",
           "on_timeout"]


@dataclass(frozen=True)
class ReviewPolicy:
    source: str
    stewards: tuple[str, ...]          # Airflow user ids allowed to decide
    steward_emails: tuple[str, ...]    # told when a review is waiting
    provider: str                      # who delivered the data (told why a batch was rejected)
    provider_email: str
    response_timeout: timedelta
    on_timeout: str                    # accept_clean | reject

    def timeout_option(self, breach: bool) -> str:
        """The safe default: the configured one, but a batch over the stop threshold never lands unattended."""
        return "reject" if breach else self.on_timeout


def path() -> Path:
    return Path(os.environ["ECOFLOW_REVIEW_POLICY"]) if os.environ.get("ECOFLOW_REVIEW_POLICY") else DEFAULT_PATH


def load(file: Path | None = None) -> dict[str, ReviewPolicy]:
    """Every source's policy, checked: a wrong row names its line and column."""
    file = file or path()
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != COLUMNS:
                raise ConfigError(f"{file}: columns must be {','.join(COLUMNS)}, "
                                  f"not {','.join(reader.fieldnames or [])}")
            policies = {}
            for line, row in enumerate(reader, start=2):
                policies[row["source"]] = _policy(file, line, row)
    except OSError as exc:
        raise ConfigError(f"review policy {file} cannot be read: {exc}") from exc
    return policies


def _policy(file: Path, line: int, row: dict[str, str]) -> ReviewPolicy:
    def bad(column: str, why: str) -> ConfigError:
        return ConfigError(f"{file}, line {line}, column {column}: {why} ({row[column]!r})")

    stewards = tuple(row["stewards"].split())
    if not stewards:
        raise bad("stewards", "name at least one Airflow user")
    emails = tuple(row["steward_emails"].split())
    if not emails or not all("@" in e for e in emails):
        raise bad("steward_emails", "space-separated email addresses")
    if "@" not in row["provider_email"]:
        raise bad("provider_email", "an email address")
    try:
        hours = float(row["response_timeout_hours"])
    except ValueError:
        raise bad("response_timeout_hours", "a number of hours") from None
    if hours <= 0:
        raise bad("response_timeout_hours", "must be positive")
    if row["on_timeout"] not in SAFE_OPTIONS:
        raise bad("on_timeout", f"one of {', '.join(SAFE_OPTIONS)} (accepting failing rows needs a person)")
    return ReviewPolicy(row["source"], stewards, emails, row["provider"], row["provider_email"],
                        timedelta(hours=hours), row["on_timeout"])


def for_source(source: str) -> ReviewPolicy:
    policies = load()
    if source not in policies:
        raise ConfigError(f"no review policy for source {source!r} in {path()}: add a row naming its stewards")
    return policies[source]
