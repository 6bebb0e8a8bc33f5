"""A small set of exception types that carry their evidence: source, file, row, column, rule, where to look."""

from __future__ import annotations


class EcoflowError(Exception):
    """Base class: the message is one line an operator can act on."""


class UsageError(EcoflowError):
    """The caller asked for something malformed (a bad period, an unknown source)."""


class ConfigError(EcoflowError):
    """A setting, connection or catalogue file is missing or wrong."""


class FetchError(EcoflowError):
    """A feed could not be fetched after retries."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(f"{source}: fetching {url} failed: {reason}")
        self.source, self.url, self.reason = source, url, reason


class ParseError(EcoflowError):
    """A whole file is unreadable (wrong header, wrong encoding); row-level problems are quarantined instead."""

    def __init__(self, file: str, reason: str, *, line: int | None = None) -> None:
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}")
        self.file, self.line, self.reason = file, line, reason


class NothingToLand(EcoflowError):
    """No file of the period arrived (all 404, or nothing fetched): the warehouse keeps what it had."""


class ValidationFailed(EcoflowError):
    """A batch breached the share of bad rows allowed: it stops before landing."""

    def __init__(self, source: str, period: str, file: str, bad: int, total: int, limit: float,
                 top_rules: list[str], report: str | None) -> None:
        share = bad / total if total else 1.0
        message = (
            f"{source} {period}: {file} has {bad} of {total} rows failing error rules ({share:.1%} > "
            f"{limit:.1%} allowed); nothing was landed for {period}. Rules: {', '.join(top_rules) or '-'}."
        )
        if report:
            message += f" Report: {report}"
        super().__init__(message)
        self.source, self.period, self.file = source, period, file
        self.bad, self.total, self.limit, self.report = bad, total, limit, report


class DeliveryError(EcoflowError):
    """An alert email could not be delivered; it stays pending in the ledger."""
