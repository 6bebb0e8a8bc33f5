"""The one validation runner: a Great Expectations suite from expectations/, run on a batch's tidy rows.

Critical failures send their rows to quarantine (not landed); warnings land and are reported. The runner
reads the result itself and gates on it — it never relies on an operator to fail a task (GX provider #195).
Each batch's result is stored in a file context; the Data Docs pages of a run's batches are rendered once, when
the run has been validated (`publish`), not after every file (rendering was a tenth of a national month's time).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from functools import cache, lru_cache
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
    report_path: Path | None = None   # the batch's Data Docs page, written by `publish`
    result_ids: tuple = ()            # GX's identifiers of the stored results, for `publish`

    def rows(self, severity: str) -> set[int]:
        return {i for f in self.failures if f.severity == severity for i in f.row_ids}

    def part(self, low: int, high: int) -> ValidationOutcome:
        """The findings about rows keyed low..high-1 (one file of a group validated together), keys shifted back
        by `low`; the page is the group's."""
        import numpy as np

        failures = []
        for f in self.failures:
            ids = np.asarray(f.row_ids, dtype="int64")
            mine = ids[(ids >= low) & (ids < high)] - low
            if len(mine):
                failures.append(RuleFailure(f.rule, f.severity, f.reason, f.column, tuple(mine.tolist())))
        return ValidationOutcome(not failures, failures, self.report_path, self.result_ids)

    def table_errors(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.table_level and f.severity == "error"]


@cache
def suite_definition(name: str) -> dict[str, Any]:
    path = EXPECTATIONS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


#: Expectations that judge each row on its own (or the columns, which every file of a source shares): a suite made
#: only of these, and of uniqueness scoped by `file_name`, finds the same rows in a group of files as file by file.
ROW_WISE = frozenset({
    "expect_table_columns_to_match_set", "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set", "expect_column_values_to_be_between",
    "expect_column_values_to_not_be_null", "expect_column_values_to_be_null", "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex", "expect_column_value_lengths_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal",
})


@cache
def validates_files_together(name: str) -> bool:
    """Whether files may share one GX run under this suite: no rule looks across rows except uniqueness within
    a file (a table-size or cross-file rule would judge the group, not the file)."""
    def file_scoped(e: dict) -> bool:
        return e["type"] == "expect_compound_columns_to_be_unique" and "file_name" in e["kwargs"]["column_list"]

    return all(e["type"] in ROW_WISE or file_scoped(e) for e in suite_definition(name)["expectations"])


def _quiet_gx() -> None:
    """GX prints progress bars and info logs; a CLI must not."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "tqdm"):
        logging.getLogger(name).setLevel(logging.WARNING)


@lru_cache(maxsize=2)
def _context(gx_root: Path):  # noqa: ANN202 - GX types are imported lazily
    """The file context of a source-month, opened once per process: the run's checkpoint and its Data Docs build
    share it (opening one reads and writes its config: ~0.1 s, twice a month in a backfill before). Its Data Docs
    site renders with tasks.validate.data_docs' views (GX's, with templates compiled once a process)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from tasks.validate.data_docs import use_compiled_views

    gx_root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(gx_root))
    changed = False
    bars = ctx.variables.progress_bars  # an object when set in this process, a dict when read back from disk
    if bars is None or (bars.get("globally", True) if isinstance(bars, dict) else bars.globally):
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm bars on stderr
        changed = True
    sites = ctx.variables.data_docs_sites or {}
    if "local_site" in sites and use_compiled_views(sites["local_site"]):   # templates compiled once a process
        ctx.variables.data_docs_sites = sites
        changed = True
    if changed:
        ctx.variables.save()
    return ctx


@lru_cache(maxsize=2)
def _checkpoint(gx_root: Path, suite: str, row_key: str):  # noqa: ANN202 - GX types are imported lazily
    """The suite's checkpoint in the file context, set up once per process rather than once per batch. Only the
    last two are kept: a context holds on to the last batch it validated, and a backfill opens one per month (120
    kept contexts grew a ten-year backfill to 6 GiB).

    A new source-month's context starts as a copy of one this process has already set up for the suite (its
    configuration, suite, validation definition and checkpoint; not its results): registering them anew cost ~0.3 s
    a month, a copy ~0.05 s. A context that exists already (an earlier process's) has its suite brought up to date
    from expectations/, and the first of a process is set up that way too."""
    model = _set_up.get(suite)
    fresh = not (gx_root / "gx" / "great_expectations.yml").exists()
    if fresh and model is not None and (model / "gx" / "checkpoints" / f"{suite}.json").exists():
        try:
            _copy_context(model, gx_root)
            return _context(gx_root).checkpoints.get(suite)
        except Exception:  # noqa: BLE001 - the model changed under us: set this one up from expectations/
            _context.cache_clear()
            shutil.rmtree(gx_root / "gx", ignore_errors=True)
    checkpoint = _register(_context(gx_root), suite)
    _set_up[suite] = gx_root
    return checkpoint


#: per suite, a context this process set up from expectations/ (new contexts of the suite are copies of it)
_set_up: dict[str, Path] = {}


def _copy_context(model: Path, gx_root: Path) -> None:
    """The model's configuration and definitions into a temporary sibling, renamed into place whole; the copy gets
    its own context and store ids (they name the context in its Data Docs), never the model's results."""
    import re
    import uuid

    work = gx_root / f".gx-{uuid.uuid4().hex}"
    shutil.copytree(model / "gx", work, ignore=shutil.ignore_patterns("uncommitted", ".ge_store_backend_id"))
    config = work / "great_expectations.yml"
    config.write_text(re.sub(r"(?m)^data_context_id: .*$", f"data_context_id: {uuid.uuid4()}",
                             config.read_text(encoding="utf-8")), encoding="utf-8")
    try:
        work.rename(gx_root / "gx")
    finally:
        shutil.rmtree(work, ignore_errors=True)   # gone already when the rename took it


def _register(ctx, suite: str):  # noqa: ANN001, ANN202 - GX types are imported lazily
    """The suite (from expectations/), its data asset, validation definition and checkpoint in the context."""
    import great_expectations as gx

    definition = suite_definition(suite)
    source = ctx.data_sources.add_or_update_pandas("ecoflow")
    asset = next((a for a in source.assets if a.name == suite), None) or source.add_dataframe_asset(suite)
    batch = next((b for b in asset.batch_definitions if b.name == "whole"), None) \
        or asset.add_batch_definition_whole_dataframe("whole")
    gx_suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=suite, expectations=definition["expectations"], meta=definition.get("meta", {})))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=suite, data=batch, suite=gx_suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=suite, validation_definitions=[vd], actions=[],
        # every failing row's position in the frame: plain integers cost GX a fifth of the time and memory of
        # {row_key: id} dicts when a whole file fails (the runner maps positions to row keys itself)
        result_format={"result_format": "COMPLETE"},
    ))


def validate(frame: pd.DataFrame, *, suite: str, row_key: str, parameters: dict[str, Any], gx_root: Path,
             run_name: str) -> ValidationOutcome:
    """Run the suite on one batch; return which rows failed which rule, and where its Data Docs page will be."""
    _quiet_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    frame = frame.reset_index(drop=True)   # positions = index labels, so a failing row's label is its position
    keys = frame[row_key].to_numpy()
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
            ids = tuple(keys[list(index_list)].tolist()) if index_list else ()
            failures.append(RuleFailure(
                rule=meta.get("rule", cfg.type), severity=severity,
                reason=meta.get("reason", cfg.type) if not item.exception_info.get("raised_exception")
                else f"{meta.get('reason', cfg.type)} (rule could not run: "
                     f"{item.exception_info.get('exception_message')})",
                column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                row_ids=ids, table_level=not ids,
            ))
    ids = tuple(result.run_results)
    return ValidationOutcome(success=result.success, failures=failures,
                             report_path=_page(gx_root, ids[-1]) if ids else None, result_ids=ids)


def publish(gx_root: Path, outcomes: list[ValidationOutcome]) -> None:
    """Render the Data Docs pages of a run's validated batches, and the site's index, in one pass."""
    ids = list(dict.fromkeys(i for o in outcomes for i in o.result_ids))
    if ids:
        _quiet_gx()
        _context(gx_root).build_data_docs(resource_identifiers=ids)


def data_docs_index(gx_root: Path) -> Path:
    """The Data Docs site's front page: every stored validation, newest first."""
    return gx_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def _page(gx_root: Path, result_id: Any) -> Path:  # noqa: ANN401 - a GX ValidationResultIdentifier
    """Where the site builder writes a stored result's page: validations/<suite>/<run name>/<run time>/<batch>.html
    (the identifier's parts, as GX's HtmlSiteStore lays them out)."""
    *parts, batch = result_id.to_tuple()
    return data_docs_index(gx_root).parent / "validations" / Path(*parts) / f"{batch}.html"
