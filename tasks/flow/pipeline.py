"""The steps of a delivery's update, shared by the CLI and the Airflow DAGs: fetch -> validate -> (review) -> land
-> compute -> evaluate -> alert -> bulletin (tasks.flow.run.STEPS).

Each step takes the delivery's `Run`, opens the warehouse itself (one writer at a time) and records what it did in
the ledger, so a step can be retried on its own. `run` strings them together for the CLI; the DAG tasks
(tasks.scheduling.steps) call the same functions one task each, so both do the same work: each delivery's months
evaluated once, the alert rules applied once, the bulletins written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
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
from tasks.flow.run import REVIEW_POLICIES, Run, step
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
    bulletins: list[str] = field(default_factory=list)   # the bulletins and 月报 written for the evaluated months

    def as_dict(self) -> dict:
        return asdict(self)


def start(settings: Settings, source: str, period: Period, trigger: str = "cli") -> Run:
    """Open the delivery's run in the ledger; every later step takes the `Run`."""
    with writer(settings) as con:
        run_id = ledger.new_run(con, source, str(period), trigger)
    return Run(source, period, run_id, settings)


def fetch(settings: Settings, source: str, period: Period, trigger: str = "cli") -> Run:
    """Open the run, fetch and archive the period's files; returns the run the next steps take."""
    adapter = sources.get(source)
    feed = fetching.endpoint(settings, adapter.name)
    with writer(settings) as con:
        run = Run(adapter.name, period, ledger.new_run(con, adapter.name, str(period), trigger), settings)
        with _failing_marks(con, run.run_id):
            fetching.fetch_period(con, settings, adapter, period, run.run_id, feed)
    step("fetch", source=run.source, period=run.period, run_id=run.run_id)
    return run


@contextmanager
def _failing_marks(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[None]:
    """Whatever goes wrong in a step, the run is marked failed with the reason (never left 'running')."""
    try:
        yield
    except Exception as exc:
        ledger.finish_run(con, run_id, "failed", f"{type(exc).__name__}: {exc}"
                          if not isinstance(exc, EcoflowError) else str(exc))
        raise


def land_unattended(run: Run) -> staging.LandingResult:
    """Validate and land with no one to ask (tasks.land.landing.land_run): the good rows land, a breach stops."""
    with writer(run.settings) as con, _failing_marks(con, run.run_id):
        return landing.land_run(con, run.settings, sources.get(run.source), run.run_id, str(run.period))


def validate(run: Run, *, waits_in: str = "airflow", dag: dict[str, str] | None = None) -> dict:
    """Validate the run's files and stage their rows; a run with error findings (or over the stop threshold)
    is registered as a review waiting in Airflow (`dag` names the task) or in the warehouse. Returns what the
    review step needs to know."""
    return _review_facts(_validated(run, waits_in, dag))


def _validated(run: Run, waits_in: str, dag: dict[str, str] | None) -> staging.RunValidation:
    adapter = sources.get(run.source)
    with writer(run.settings) as con, _failing_marks(con, run.run_id):
        checked = staging.validate_run(con, run.settings, adapter, run.run_id, str(run.period))
        if checked.needs_review:
            review.register(con, checked, waits_in=waits_in, dag=dag)
            # what the steward is shown, written now while this step holds the warehouse: the review task that
            # shows it waits outside the writers' pool and must not open the warehouse
            info = review.details(con, review.find(con, run.run_id), run.settings,
                                  review_policy.for_source(run.source),
                                  connections.api_base_url() if waits_in == "airflow" else "")
            checked.subject, checked.body = review.render(info)
    step("validate", source=run.source, period=run.period, run_id=run.run_id)
    return checked


def _review_facts(checked: staging.RunValidation) -> dict:
    run_id, source, period = checked.run_id, checked.source, checked.period
    return {"review_id": run_id, "source": source, "period": str(period), "needs_review": checked.needs_review,
            "breach": "; ".join(str(b) for b in checked.breaches) or None, "files": len(checked.batches),
            "rows_in": checked.rows_in, "rows_bad": checked.rows_bad, "missing": checked.missing_files,
            "subject": checked.subject, "body": checked.body}


def decide(run: Run, decision: review.Decision | None) -> staging.LandingResult:
    """The landing step: the run's staged rows land, a clean run (`decision` None) as validated, a reviewed run as
    decided (its option a code: accept_clean, accept_all, reject), the decision logged in the same transaction. A
    rejection keeps the period as it was and tells the provider."""
    adapter, period = sources.get(run.source), str(run.period)
    with writer(run.settings) as con, _failing_marks(con, run.run_id):
        if decision is None:
            result = landing.apply_decision(con, adapter, run.run_id, period, "accept_clean")
            step("land", source=run.source, period=run.period, run_id=run.run_id)
            return result
        decision.check()
        item = review.find(con, run.run_id)
        if item["state"] == "superseded":
            raise review.Superseded(f"review {run.run_id} was replaced by a newer delivery of {run.source} {period} "
                                    f"before it was decided; nothing of it is landed ({decision.option} not applied)")
        if item["state"] == "decided":  # a retried landing after the decision was landed and logged
            logged = review.logged_option(con, run.run_id)
            if logged != decision.option:
                raise UsageError(f"review {run.run_id} was already decided as {logged}; {decision.option} is not "
                                 "applied (`ecoflow review log`)")
            result = landing.apply_decision(con, adapter, run.run_id, period, decision.option)
            step("land", source=run.source, period=run.period, run_id=run.run_id)
            return result
        policy = review_policy.for_source(run.source)
        if decision.via == "cli" and decision.decided_by not in policy.stewards:
            raise UsageError(f"{decision.decided_by} is not a steward of {run.source} (review_policy.csv: "
                             f"{', '.join(policy.stewards)}); pass --steward with your steward id")
        # what the provider is told of a rejection, read before the rejection drops the staged rows
        info = review.details(con, item, run.settings, policy) if decision.option == "reject" else None
        message = f"steward review: {decision.option} by {decision.decided_by}" + (
            f" ({decision.reason})" if decision.reason else "")
        result = landing.apply_decision(con, adapter, run.run_id, period, decision.option, message,
                                        log=lambda landed: review.record(con, item, decision, landed))
        if decision.option == "reject":
            ledger.finish_run(con, run.run_id, "rejected", message)
    if decision.option == "reject":
        review.try_notify(review.notify_provider, run.settings, policy, info, decision)
    step("land", source=run.source, period=run.period, run_id=run.run_id)
    return result


def policy_decision(run: Run, checked: dict, policy: str, reason: str | None) -> review.Decision:
    """What `ecoflow run --review POLICY` decides for a run that needs a review (with no one to ask)."""
    if policy == "safe":
        option = review_policy.for_source(run.source).timeout_option(bool(checked["breach"]))
        reason = reason or (f"不能自动入库：{checked['breach']}" if checked["breach"] else None)
    else:
        option = policy.replace("-", "_")
    return review.Decision(option, decided_by=f"policy:{policy}", via="policy", reason=reason)


def compute(run: Run) -> dict:
    """The source's indicator values of the month (and the YTD of later months) from what is landed; the run is
    then `computed`. Evaluation is the next step (`evaluate`), once for whatever the delivery changed."""
    compute_period = computations.for_source(run.source)
    with writer(run.settings) as con:
        with _failing_marks(con, run.run_id):
            counts = compute_period(con, run.period)
        ledger.finish_run(con, run.run_id, "computed")
    step("compute", source=run.source, period=run.period, run_id=run.run_id)
    return counts


def recompute(settings: Settings, period: Period, sources: list[str] | None = None) -> list[Period]:
    """Recompute the values of `sources` (None: every source) for the month from what is landed — after a
    catalogue or rules change — in no run of their own; returns the months to evaluate ([period])."""
    with writer(settings) as con:
        for source in sources or list(computations.COMPUTATIONS):
            computations.for_source(source)(con, period)
    return [period]


def evaluate(settings: Settings, periods: Iterable[Period]) -> list[Period]:
    """Evaluate the months and the later months that depend on them (YTD, rolling 12 months, 同比, projection), each
    once however many of the months name it; returns the months evaluated, in order."""
    from tasks.compute.store import later_months
    from tasks.evaluate import evaluation

    done: list[Period] = []
    with writer(settings) as con:
        for period in sorted(set(periods)):
            for month in [period, *later_months(con, period)]:
                if month not in done:
                    evaluation.refresh(con, month)
                    step("evaluate", period=month)
                    done.append(month)
    return sorted(done)


def alert(settings: Settings, periods: list[Period], as_of: date | None = None, *, dispatch: bool = True) -> dict:
    """The alert rules over the months (already evaluated; deadlines as of `as_of`), then, on a dispatch, one
    digest per recipient for the latest month; between dispatches only a new 进度预警 goes out (tasks.alert.digest)."""
    from tasks.alert import digest
    from tasks.alert import engine as alerting

    with writer(settings) as con:
        changed = alerting.evaluate_months(con, settings, periods, as_of)
        latest = max(periods) if periods else None
        sent = {**digest.deliver(con, settings, period=latest, dispatch=dispatch), "changed": len(changed)}
    step("alert", period=latest)
    return sent


def bulletin(settings: Settings, periods: Iterable[Period]) -> list[Path]:
    """The bulletin (reports/bulletin/<period>.html) and the 月报 (reports/monthly/<period>.html and .pdf) of each
    month; returns the files written."""
    from tasks.report import bulletin as bulletins
    from tasks.report import monthly as monthly_report

    written: list[Path] = []
    for period in sorted(set(periods)):
        detail = bulletins.read(settings, period)   # the bulletin's context; the 月报's alerts and annex are its own
        written.append(bulletins.write(settings, period, detail=detail))
        written.extend(f for f in monthly_report.write(settings, period, pdf=settings.monthly_pdf, detail=detail) if f)
        step("bulletin", period=period)
    return written


def refresh(settings: Settings, periods: list[Period], *, dispatch: bool = True, as_of: date | None = None,
            reports: bool = True) -> dict:
    """What follows a month's new values, as indicators_recompute does it: evaluate the months (and those after
    them), apply the alert rules, write the bulletins. A mail server that is down does not cost the months their
    bulletins: they are written, then the DeliveryError is raised (carrying `evaluated` and `bulletins`)."""
    months = evaluate(settings, periods)
    try:
        sent = alert(settings, months, as_of, dispatch=dispatch)
    except DeliveryError as exc:
        exc.evaluated, exc.bulletins = months, bulletin(settings, months) if reports else []
        raise
    return {**sent, "evaluated": months, "bulletins": bulletin(settings, months) if reports else []}


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
        run = start(settings, sources.get(source).name, Period(moment.year, moment.month), trigger)
        _, result = ingest_file(run, name, replay, content)
        return run.run_id, result
    run = poll(settings, source, as_of=as_of, trigger=trigger)
    result = land_unattended(run)
    finish(run, "landed")
    return run.run_id, result


def _moment(as_of: datetime | None) -> datetime:
    return (as_of.astimezone(TZ).replace(tzinfo=None) if as_of and as_of.tzinfo else as_of) \
        or datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def poll(settings: Settings, source: str, *, as_of: datetime | None = None, trigger: str = "cli") -> Run:
    """Fetch and archive one poll of a real-time feed (nothing validated yet); its run is of the poll's month."""
    adapter = sources.get(source)
    moment = _moment(as_of)
    run = start(settings, adapter.name, Period(moment.year, moment.month), trigger)
    with writer(settings) as con, _failing_marks(con, run.run_id):
        fetching.fetch_files(con, settings, adapter, str(run.period), run.run_id,
                             fetching.endpoint(settings, adapter.name), [adapter.poll_file(moment)])
    step("fetch", source=run.source, period=run.period, run_id=run.run_id)
    return run


def ingest_file(run: Run, name: str, path: Path, content: bytes) -> tuple[str, staging.LandingResult]:
    """One delivery that arrived as a file (a replayed capture, an inbox submission), in a run of its own
    (`start`): the bytes archived and recorded like a fetch, validated and landed. Returns (batch id, landing
    result); a failure marks the run failed with the reason and is raised."""
    adapter = sources.get(run.source)
    with writer(run.settings) as con, _failing_marks(con, run.run_id):
        archived = ledger.record_local_file(con, run.settings, run_id=run.run_id, source=adapter.name,
                                            period=str(run.period), name=name, path=path, content=content)
        try:
            result = landing.land_run(con, run.settings, adapter, run.run_id, str(run.period))
        except EcoflowError as exc:
            exc.run_id, exc.batch_id = run.run_id, archived.batch_id  # the caller can point at what was archived
            raise
    finish(run, "landed")
    return archived.batch_id, result


def compute_captured(settings: Settings, source: str, period: Period, trigger: str = "cli") -> dict:
    """Compute a captured source's month from what the polls landed, in a run of its own (the monthly DAG's step)."""
    run = start(settings, source, period, trigger)
    return {"run_id": run.run_id, **compute(run)}


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


def run(settings: Settings, source: str, period: Period, trigger: str = "cli", *, review_policy_name: str = "safe",
        reason: str | None = None, history: bool = False) -> RunSummary:
    """The whole update for one source and month, without a scheduler (what `ecoflow run` does): the steps of
    tasks.flow.run.STEPS in their order, as the DAGs run them — fetch, validate, land, compute, then what
    indicators_recompute does: evaluate, alert, bulletin.

    A run whose validation needs a steward is decided by `review_policy_name`: `safe` does what a review's
    timeout does (land the rows that pass; reject a batch over the stop threshold, raising its error), `hold`
    leaves it pending for `ecoflow review decide`, the others decide as named (accept-all and reject need a
    reason). A captured source (surface water) has nothing to fetch for a past month: its run evaluates what the
    polls captured. A `history` month (a backfill's, before its last) records its alerts without sending the
    monthly digests (they go out once, with the last month's) and writes no bulletin (`ecoflow report` writes one).
    """
    adapter = sources.get(source)
    if review_policy_name not in REVIEW_POLICIES:
        raise UsageError(f"unknown review policy {review_policy_name!r}: one of {', '.join(REVIEW_POLICIES)}")
    if getattr(adapter, "captured", False):
        current = start(settings, adapter.name, period, trigger)
        summary = RunSummary(run_id=current.run_id, source=source, period=str(period),
                             fetched=_captures(settings, period))
        return finish_delivery(current, summary, history)
    current = fetch(settings, source, period, trigger)
    validated = _validated(current, "warehouse", None)
    checked = _review_facts(validated)
    summary = RunSummary(run_id=current.run_id, source=source, period=str(period), fetched=checked["files"],
                         missing=checked["missing"])
    decision = None
    if checked["needs_review"]:
        summary.review_id = current.run_id
        if review_policy_name == "hold":
            summary.review = "pending"
            return summary
        decision = policy_decision(current, checked, review_policy_name, reason)
        summary.review = decision.option
    result = decide(current, decision)
    summary.rows_landed, summary.rows_rejected = result.rows_landed, result.rows_rejected
    summary.rows_warned, summary.reports = result.rows_warned, result.reports
    if decision is not None and decision.option == "reject":
        if review_policy_name == "safe" and validated.breaches:
            raise validated.breaches[0]  # a run with no one to ask fails with the batch's own reason
        return summary
    return finish_delivery(current, summary, history)


def finish_delivery(run: Run, summary: RunSummary, history: bool = False) -> RunSummary:
    """What follows a landing without a scheduler, as the DAGs do it: compute the month, then evaluate it and the
    months after it, apply the alert rules and write the bulletins (tasks.flow.pipeline.refresh)."""
    counts = compute(run)
    summary.indicator_values = counts["indicator_values"]
    try:
        done = refresh(run.settings, [run.period], dispatch=not history, reports=not history)
    except DeliveryError as exc:
        summary.bulletins = [str(p) for p in getattr(exc, "bulletins", [])]
        exc.summary = summary  # the data part succeeded: callers can still report it
        raise
    summary.alerts_sent, summary.alerts_pending, summary.eml_files = done["sent"], done["pending"], done["eml_files"]
    summary.bulletins = [str(p) for p in done["bulletins"]]
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
    done = refresh(settings, recompute(settings, Period.parse(period), [source]))
    return {"run_id": run_id, "batch_id": result.batches[0].batch_id, "source": source, "period": period,
            "corrects": original["batch_id"], "rows_landed": result.rows_landed,
            "months_recomputed": [str(m) for m in done["evaluated"]], "alerts_sent": done["sent"]}


def finish(run: Run, status: str) -> None:
    """Close a run whose last step was the landing (a poll: nothing to compute until the month is evaluated)."""
    with writer(run.settings) as con:
        ledger.finish_run(con, run.run_id, status)
