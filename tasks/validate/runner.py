"""The one validation runner: a Great Expectations suite from expectations/, run on a batch's tidy rows.

Critical failures send their rows to quarantine (not landed); warnings land and are reported. The runner
reads the result itself and gates on it — it never relies on an operator to fail a task (GX provider #195).
Each run is stored in a file context so Data Docs give a readable HTML report per batch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.core.settings import REPO_ROOT

if TYPE_CHECKING:
    import pandas as pd

EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    severity: str          # error | warning
    reason: str
    column: str | None
    row_ids: tuple[int, ...]      # empty with table_level=True: the rule failed for the batch as a whole
    table_level: bool = False


@dataclass
class ValidationOutcome:
    success: bool
    failures: list[RuleFailure] = field(default_factory=list)
    report_path: Path | None = None

    def rows(self, severity: str) -> set[int]:
        return {i for f in self.failures if f.severity == severity for i in f.row_ids}

    def table_errors(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.table_level and f.severity == "error"]


@cache
def suite_definition(name: str) -> dict[str, Any]:
    path = EXPECTATIONS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _quiet_gx() -> None:
    """GX prints progress bars and info logs; a CLI must not."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "tqdm"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _context(gx_root: Path):  # noqa: ANN202 - GX types are imported lazily
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(gx_root))
    bars = ctx.variables.progress_bars  # an object when set in this process, a dict when read back from disk
    if bars is None or (bars.get("globally", True) if isinstance(bars, dict) else bars.globally):
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars on stderr
        ctx.variables.save()
    return ctx


@cache
def _checkpoint(gx_root: Path, suite: str, row_key: str):  # noqa: ANN202 - GX types are imported lazily
    """The suite's checkpoint in the file context, set up once per process rather than once per batch."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    definition = suite_definition(suite)
    ctx = _context(gx_root)
    source = ctx.data_sources.add_or_update_pandas("ecoflow")
    asset = next((a for a in source.assets if a.name == suite), None) or source.add_dataframe_asset(suite)
    batch = next((b for b in asset.batch_definitions if b.name == "whole"), None) \
        or asset.add_batch_definition_whole_dataframe("whole")
    gx_suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=suite, expectations=definition["expectations"], meta=definition.get("meta", {})))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=suite, data=batch, suite=gx_suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=suite, validation_definitions=[vd], actions=[UpdateDataDocsAction(name="data_docs")],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [row_key]},
    ))


def validate(frame: pd.DataFrame, *, suite: str, row_key: str, parameters: dict[str, Any], gx_root: Path,
             run_name: str) -> ValidationOutcome:
    """Run the suite on one batch; return which rows failed which rule, and the Data Docs page."""
    _quiet_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    result = _checkpoint(gx_root, suite, row_key).run(
        batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
        run_id=RunIdentifier(run_name=run_name))
    failures = []
    for validation in result.run_results.values():
        for item in validation.results:
            if item.success:
                continue
            cfg = item.expectation_config
            meta = cfg.meta or {}
            severity = "warning" if str(cfg.severity).lower().endswith("warning") else "error"
            index_list = item.result.get("unexpected_index_list") if item.result else None
            ids = tuple(int(entry[row_key]) for entry in index_list or [])
            failures.append(RuleFailure(
                rule=meta.get("rule", cfg.type), severity=severity,
                reason=meta.get("reason", cfg.type) if not item.exception_info.get("raised_exception")
                else f"{meta.get('reason', cfg.type)} (rule could not run: "
                     f"{item.exception_info.get('exception_message')})",
                column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                row_ids=ids, table_level=not ids,
            ))
    return ValidationOutcome(success=result.success, failures=failures,
                             report_path=_report_page(gx_root, suite, run_name))


def data_docs_index(gx_root: Path) -> Path:
    """The Data Docs site's front page: every stored validation, newest first."""
    return gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def _report_page(gx_root: Path, suite: str, run_name: str) -> Path | None:
    site = data_docs_index(gx_root).parent
    pages = sorted((site / "validations" / suite / run_name).glob("**/*.html"))
    return pages[-1] if pages else None
