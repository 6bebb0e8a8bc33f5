"""The steps of a source's monthly update, shared by the CLI and the Airflow DAG.

Each step opens the warehouse itself (one writer at a time) and records what it did in the ledger, so a
step can be retried on its own: fetch -> land (validate + replace slice) -> compute -> alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from tasks import sources
from tasks.compute import registry as computations
from tasks.core import connections, sql
from tasks.core.errors import DeliveryError, EcoflowError, UsageError
from tasks.core.filenames import safe_name
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.core.warehouse import connect
from tasks.flow.warehouse import writer
from tasks.ingest import fetch as fetching
from tasks.ingest import ledger
from tasks.land import landing
from tasks.review import decisions as review
from tasks.review import policy as review_policy
from tasks.validate import staging


@dataclass
class RunSummary:
    run_id: str
    source: str
    period: str
    fetched: int = 0
    missing: list[str] = field(default_factory=list)
    rows_landed: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    reports: list[str] = field(default_factory=list)
    indicator_values: int = 0
    alerts_sent: int = 0
    alerts_pending: int = 0
    eml_files: list[str] = field(default_factory=list)
    review: str | None = None          # None: clean; else the decision taken, or "pending" (policy hold)
    review_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def fetch(settings: Settings, source: str, period: Period, trigger: str = "cli") -> str:
    """Fetch and archive the period's files; returns the run id the next steps take."""
    adapter = sources.get(source)
    feed = fetching.endpoint(settings, adapter.name)
    with writer(settings) as con:
        run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        with _failing_marks(con, run_id):
            fetching.fetch_period(con, settings, adapter, period, run_id, feed)
    return run_id


@contextmanager
def _failing_marks(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[None]:
    """Whatever goes wrong in a step, the run is marked failed with the reason (never left 'running')."""
    try:
        yield
    except Exception as exc:
        ledger.finish_run(con, run_id, "failed", f"{type(exc).__name__}: {exc}"
                          if not isinstance(exc, EcoflowError) else str(exc))
        raise


def land(settings: Settings, source: str, period: Period, run_id: str) -> staging.LandingResult:
    """Validate and land with no one to ask (tasks.land.landing.land_run)."""
    adapter = sources.get(source)
    with writer(settings) as con, _failing_marks(con, run_id):
        return landing.land_run(con, settings, adapter, run_id, str(period))


def validate(settings: Settings, source: str, period: Period, run_id: str, *, waits_in: str = "airflow",
             dag: dict[str, str] | None = None) -> dict:
    """Validate the run's files and stage their rows; a run with error findings (or over the stop threshold)
    is registered as a review waiting in Airflow (`dag` names the task) or in the warehouse. Returns what the
    review step needs to know."""
    return _review_facts(_validated(settings, source, period, run_id, waits_in, dag))


def _validated(settings: Settings, source: str, period: Period, run_id: str, waits_in: str,
               dag: dict[str, str] | None) -> staging.RunValidation:
    adapter = sources.get(source)
    with writer(settings) as con, _failing_marks(con, run_id):
        checked = staging.validate_run(con, settings, adapter, run_id, str(period))
        if checked.needs_review:
            review.register(con, checked, waits_in=waits_in, dag=dag)
            # what the steward is shown, written now while this step holds the warehouse: the review task that
            # shows it waits outside the writers' pool and must not open the warehouse
            info = review.details(con, review.find(con, run_id), settings, review_policy.for_source(source),
                                  connections.api_base_url() if waits_in == "airflow" else "")
            checked.subject, checked.body = review.render(info)
    return checked


def _review_facts(checked: staging.RunValidation) -> dict:
    run_id, source, period = checked.run_id, checked.source, checked.period
    return {"review_id": run_id, "source": source, "period": str(period), "needs_review": checked.needs_review,
            "breach": "; ".join(str(b) for b in checked.breaches) or None, "files": len(checked.batches),
            "rows_in": checked.rows_in, "rows_bad": checked.rows_bad, "missing": checked.missing_files,
            "subject": checked.subject, "body": checked.body}


def decide(settings: Settings, source: str, period: Period, run_id: str,
           decision: review.Decision | None) -> staging.LandingResult:
    """Land the run's staged rows: a clean run (`decision` None) as validated; a reviewed run as decided, the
    decision logged in the same transaction. A rejection keeps the period as it was and tells the provider."""
    adapter = sources.get(source)
    with writer(settings) as con, _failing_marks(con, run_id):
        if decision is None:
            return landing.apply_decision(con, adapter, run_id, str(period), "accept_clean")
        decision.check()
        item = review.find(con, run_id)
        if item["state"] == "superseded":
            raise review.Superseded(f"review {run_id} was replaced by a newer delivery of {source} {period} before "
                                    f"it was decided; nothing of it is landed ({decision.option} not applied)")
        if item["state"] == "decided":  # a retried landing after the decision was landed and logged
            logged = review.logged_option(con, run_id)
            if logged != decision.option:
                raise UsageError(f"review {run_id} was already decided as {logged}; {decision.option} is not "
                                 "applied (`ecoflow review log`)")
            return landing.apply_decision(con, adapter, run_id, str(period), decision.option)
        policy = review_policy.for_source(source)
        if decision.via == "cli" and decision.decided_by not in policy.stewards:
            raise UsageError(f"{decision.decided_by} is not a steward of {source} (review_policy.csv: "
                             f"{', '.join(policy.stewards)}); pass --steward with your steward id")
        # what the provider is told of a rejection, read before the rejection drops the staged rows
        info = review.details(con, item, settings, policy) if decision.option == "reject" else None
        message = f"steward review: {decision.option} by {decision.decided_by}" + (
            f" ({decision.reason})" if decision.reason else "")
        result = landing.apply_decision(con, adapter, run_id, str(period), decision.option, message,
                                        log=lambda landed: review.record(con, item, decision, landed))
        if decision.option == "reject":
            ledger.finish_run(con, run_id, "rejected", message)
    if decision.option == "reject":
        review.try_notify(review.notify_provider, settings, policy, info, decision)
    return result


def policy_decision(settings: Settings, source: str, checked: dict, policy: str, reason: str | None) -> \
        review.Decision:
    """What `ecoflow run --review POLICY` decides for a run that needs a review (with no one to ask)."""
    if policy == "safe":
        option = review_policy.for_source(source).timeout_option(bool(checked["breach"]))
        reason = reason or (f"不能自动入库：{checked['breach']}" if checked["breach"] else None)
    else:
        option = policy.replace("-", "_")
    return review.Decision(option, decided_by=f"policy:{policy}", via="policy", reason=reason)


def compute(settings: Settings, source: str, period: Period, run_id: str | None = None) -> dict:
    """The source's values for the period (and the YTD of later months), then the evaluation of those months."""
    compute_period = computations.for_source(source)
    with writer(settings) as con:
        if run_id is None:
            return _computed_and_evaluated(con, compute_period, period)
        with _failing_marks(con, run_id):
            counts = _computed_and_evaluated(con, compute_period, period)
        ledger.finish_run(con, run_id, "computed")
    return counts


def _computed_and_evaluated(con: duckdb.DuckDBPyConnection, compute_period, period: Period) -> dict:  # noqa: ANN001
    from tasks.compute.store import later_months
    from tasks.evaluate import evaluation

    counts = compute_period(con, period)
    months = [period, *later_months(con, period)]
    counts["evaluated"] = sum(evaluation.refresh(con, month) for month in months)
    counts["evaluated_months"] = [str(m) for m in months]
    return counts


def recompute(settings: Settings, period: Period, sources: list[str] | None = None) -> list[str]:
    """Recompute the values of `sources` (None: every source) for the month from what is landed — after a
    catalogue or rules change — and evaluate the months that depend on them; returns those months."""
    months: set[str] = set()
    for source in sources or list(computations.COMPUTATIONS):
        months.update(compute(settings, source, period)["evaluated_months"])
    return sorted(months)


def capture(settings: Settings, source: str, *, as_of: datetime | None = None, replay: Path | None = None,
            trigger: str = "cli") -> tuple[str, staging.LandingResult]:
    """One poll of a feed that publishes only its latest readings (surface water): fetch or replay, archive, land
    (with no one to ask: the rows that pass land; a breach stops the poll, which the next poll makes good).

    `as_of` is the fetch time (Asia/Shanghai); it names the archived file, sets the ledger period and gives
    the readings their year. Replaying an archived response needs it, since the bytes carry no year.
    """
    if replay is not None:
        if as_of is None:
            raise UsageError("replaying a saved response needs --as-of: the fetch time gives the readings their year")
        moment = _moment(as_of)
        content = replay.read_bytes()
        name = replay_name(sources.get(source).poll_file(moment).name, replay, content)
        run_id, _, result = ingest_file(settings, source, Period(moment.year, moment.month), name, replay, content,
                                        trigger)
        return run_id, result
    run_id, period = poll(settings, source, as_of=as_of, trigger=trigger)
    with writer(settings) as con, _failing_marks(con, run_id):
        result = landing.land_run(con, settings, sources.get(source), run_id, period)
        ledger.finish_run(con, run_id, "landed")
    return run_id, result


def _moment(as_of: datetime | None) -> datetime:
    return (as_of.astimezone(TZ).replace(tzinfo=None) if as_of and as_of.tzinfo else as_of) \
        or datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def poll(settings: Settings, source: str, *, as_of: datetime | None = None, trigger: str = "cli") -> tuple[str, str]:
    """Fetch and archive one poll of a real-time feed (nothing validated yet); returns (run id, month of the poll)."""
    adapter = sources.get(source)
    moment = _moment(as_of)
    period = str(Period(moment.year, moment.month))
    with writer(settings) as con:
        run_id = ledger.new_run(con, adapter.name, period, trigger)
        with _failing_marks(con, run_id):
            fetching.fetch_files(con, settings, adapter, period, run_id, fetching.endpoint(settings, adapter.name),
                                 [adapter.poll_file(moment)])
    return run_id, period


def ingest_file(settings: Settings, source: str, period: Period, name: str, path: Path, content: bytes,
                trigger: str = "cli") -> tuple[str, str, staging.LandingResult]:
    """One delivery that arrived as a file (a replayed capture, an inbox submission): a run of its own, the bytes
    archived and recorded like a fetch, validated and landed. Returns (run id, batch id, landing result); a
    failure marks the run failed with the reason and is raised."""
    adapter = sources.get(source)
    with writer(settings) as con:
        run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        with _failing_marks(con, run_id):
            archived = ledger.record_local_file(con, settings, run_id=run_id, source=adapter.name,
                                                period=str(period), name=name, path=path, content=content)
            try:
                result = landing.land_run(con, settings, adapter, run_id, str(period))
            except EcoflowError as exc:
                exc.run_id, exc.batch_id = run_id, archived.batch_id  # the caller can point at what was archived
                raise
        ledger.finish_run(con, run_id, "landed")
    return run_id, archived.batch_id, result


def alert(settings: Settings, periods: list[Period], as_of: date | None = None, *, dispatch: bool = True) -> dict:
    """The alert rules over the months (already evaluated; deadlines as of `as_of`), then, on a dispatch, one
    digest per recipient for the latest month; between dispatches only a new 进度预警 goes out (tasks.alert.digest)."""
    from tasks.alert import digest
    from tasks.alert import engine as alerting

    with writer(settings) as con:
        changed = alerting.evaluate_months(con, settings, periods, as_of)
        latest = max(periods) if periods else None
        return {**digest.deliver(con, settings, period=latest, dispatch=dispatch), "changed": len(changed)}


def evaluate(settings: Settings, source: str, period: Period, trigger: str = "cli") -> dict:
    """Compute a captured source's month in a run of its own (the monthly DAG's step)."""
    with writer(settings) as con:
        run_id = ledger.new_run(con, source, str(period), trigger)
    return {"run_id": run_id, **compute(settings, source, period, run_id)}


def _captures(settings: Settings, period: Period) -> int:
    with connect(settings, read_only=True) as con:
        return con.execute(sql.load("queries/water_captures_of_period"),
                           {"first": period.first_day, "last": period.last_day}).fetchall()[0][0]


def replay_name(poll_name: str, replay: Path, content: bytes) -> str:
    """The archived name of a replayed file: the poll's name (fetch time), the file's own stem and a digest of its
    bytes. Different files replayed at the same --as-of (even two 新发.csv from different folders) are different
    deliveries; replaying the same bytes at the same time again replaces what they landed."""
    digest = hashlib.sha256(content).hexdigest()[:8]
    return f"{poll_name.rsplit('.', 1)[0]}-{safe_name(replay.stem, 60)}-{digest}{replay.suffix.lower()}"


REVIEW_POLICIES = ("safe", "accept-clean", "accept-all", "reject", "hold")


def run(settings: Settings, source: str, period: Period, trigger: str = "cli", *, review_policy_name: str = "safe",
        reason: str | None = None) -> RunSummary:
    """The whole update for one source and month, without a scheduler (what `ecoflow run` does).

    A run whose validation needs a steward is decided by `review_policy_name`: `safe` does what a review's
    timeout does (land the rows that pass; reject a batch over the stop threshold, raising its error), `hold`
    leaves it pending for `ecoflow review decide`, the others decide as named (accept-all and reject need a
    reason). A captured source (surface water) has nothing to fetch for a past month: its run evaluates what the
    polls captured.
    """
    adapter = sources.get(source)
    if review_policy_name not in REVIEW_POLICIES:
        raise UsageError(f"unknown review policy {review_policy_name!r}: one of {', '.join(REVIEW_POLICIES)}")
    if getattr(adapter, "captured", False):
        with writer(settings) as con:
            run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        summary = RunSummary(run_id=run_id, source=source, period=str(period), fetched=_captures(settings, period))
    else:
        run_id = fetch(settings, source, period, trigger)
        validated = _validated(settings, source, period, run_id, "warehouse", None)
        checked = _review_facts(validated)
        summary = RunSummary(run_id=run_id, source=source, period=str(period), fetched=checked["files"],
                             missing=checked["missing"])
        decision = None
        if checked["needs_review"]:
            summary.review_id = run_id
            if review_policy_name == "hold":
                summary.review = "pending"
                return summary
            decision = policy_decision(settings, source, checked, review_policy_name, reason)
            summary.review = decision.option
        result = decide(settings, source, period, run_id, decision)
        summary.rows_landed, summary.rows_rejected = result.rows_landed, result.rows_rejected
        summary.rows_warned, summary.reports = result.rows_warned, result.reports
        if decision is not None and decision.option == "reject":
            if review_policy_name == "safe" and validated.breaches:
                raise validated.breaches[0]  # a run with no one to ask fails with the batch's own reason
            return summary
    return compute_and_alert(settings, source, period, run_id, summary)


def compute_and_alert(settings: Settings, source: str, period: Period, run_id: str,
                      summary: RunSummary) -> RunSummary:
    """Compute the landed month, evaluate it and the months after it, apply the alert rules (what follows a
    landing without a scheduler)."""
    counts = compute(settings, source, period, run_id)
    summary.indicator_values = counts["indicator_values"]
    try:
        sent = alert(settings, [Period.parse(p) for p in counts["evaluated_months"]])
    except DeliveryError as exc:
        exc.summary = summary  # the data part succeeded: callers can still report it
        raise
    summary.alerts_sent, summary.alerts_pending, summary.eml_files = sent["sent"], sent["pending"], sent["eml_files"]
    return summary


def correct(settings: Settings, batch_ref: str, path: Path, steward: str, reason: str | None = None) -> dict:
    """A steward's corrected rows for a batch with quarantined rows: archived as a delivery of the same file,
    validated by the same suite (every row must pass), landed over the rows they name, logged as a correction of
    the original (which stays archived with its findings), then the month is recomputed and the alert rules run."""
    content = path.read_bytes()
    with writer(settings) as con:
        original = sql.rows(con, "queries/review_batch", {"batch_id": batch_ref})
        if not original:
            raise UsageError(f"no batch {batch_ref!r}: `ecoflow review show REVIEW` and `ecoflow review log` name "
                             "the batches")
        original = original[0]
        source, period, name = original["source"], original["period"], original["file_name"]
        adapter = sources.get(source)
        if not getattr(adapter, "natural_key", None):
            raise UsageError(f"{source} has no corrections: a department sends its corrected form to the inbox")
        if not original["quarantined"]:
            raise UsageError(f"{batch_ref} has no quarantined rows to correct")
        if original["status"] != "landed":
            raise UsageError(f"{batch_ref} is {original['status']}, not landed: decide its review first "
                             "(`ecoflow review list`); a rejected batch is redelivered, not corrected")
        waiting = sql.rows(con, "queries/review_waiting_on_file",
                           {"source": source, "period": period, "file_name": name})
        if waiting:
            raise UsageError(f"a newer delivery of {name} waits for review ({waiting[0]['review_id']}): decide it "
                             "first "
                             "(`ecoflow review show`), then correct what it leaves in quarantine")
        stewards = review_policy.for_source(source).stewards
        if steward not in stewards:
            raise UsageError(f"{steward} is not a steward of {source} (review_policy.csv: {', '.join(stewards)}); "
                             "pass --steward with your steward id")
        run_id = ledger.new_run(con, source, period, "correction")
        with _failing_marks(con, run_id):
            ledger.record_local_file(con, settings, run_id=run_id, source=source, period=period, name=name,
                                     path=path, content=content)
            checked = staging.validate_run(con, settings, adapter, run_id, period, correction=True)
            if checked.needs_review:
                landing.refuse(con, adapter, checked, "correction refused: it fails validation itself")
                raise review.CorrectionRefused(path, checked)

            def log(result: staging.LandingResult, replaced: int) -> None:
                review.record_correction(con, original, run_id, steward, reason, result, replaced)

            result = landing.land_correction(con, adapter, run_id, period, log)
        ledger.finish_run(con, run_id, "landed")
    months = recompute(settings, Period.parse(period), [source])
    alerted = alert(settings, [Period.parse(m) for m in months])
    return {"run_id": run_id, "batch_id": result.batches[0].batch_id, "source": source, "period": period,
            "corrects": original["batch_id"], "rows_landed": result.rows_landed, "months_recomputed": months,
            "alerts_sent": alerted["sent"]}


def finish(settings: Settings, run_id: str, status: str) -> None:
    """Close a run whose last step was the landing (a poll: nothing to compute until the month is evaluated)."""
    with writer(settings) as con:
        ledger.finish_run(con, run_id, status)
