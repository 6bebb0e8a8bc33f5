"""A re-delivery never erases by itself (issue 12, point 1).

A real January 2019 day is stored through the loopback feed server, then delivered again header-only, cut off
mid-file and with a station column gone: each time the stored values stay exactly as they were, `ecoflow run`
exits 2 with one line naming the file, the rule and what would have been removed. A complete re-delivery still
replaces, and a steward can still decide to land a shorter one.
"""

from __future__ import annotations

import contextlib
import io
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.cli import commands as cli
from tasks.core import settings
from tasks.core.periods import Period
from tasks.flow import pipeline
from tasks.flow.run import Run
from tasks.review import decisions as review
from tasks.sources.redelivery import RULE

D1 = "china_sites_20190101.csv"


def stored() -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute("SELECT obs_date, hour, type, station_code, value FROM raw.cnemc_air_hourly "
                           "ORDER BY ALL").fetchall()


def ecoflow(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str, **faults) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with FeedServer(folder, last_day=date(2019, 1, 1), **faults) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["run", "air", "--period", "2019-01", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def day(eco_env, air_files, monkeypatch) -> list[tuple]:
    code, _, err = ecoflow(air_files, monkeypatch)
    assert code == 0, err
    rows = stored()
    assert len(rows) > 10_000
    return rows


def _refused(code: int, err: str, before: list[tuple]) -> str:
    assert code == 2
    assert stored() == before
    # one line, naming the file and the rule (the in-process feed server may log a client's hang-up beside it)
    line, = [x for x in err.splitlines() if x.startswith("ecoflow:")]
    assert D1 in line and RULE in line
    return line


def test_header_only_redelivery_is_refused_and_keeps_the_day(day, air_files, monkeypatch) -> None:
    header = (air_files / D1).read_bytes().split(b"\r\n")[0] + b"\r\n"
    (air_files / D1).write_bytes(header)
    line = _refused(*ecoflow(air_files, monkeypatch)[::2], day)
    assert f"数值 0 < 已入库 {len(day):,}" in line


def test_cut_off_redelivery_is_refused_and_keeps_the_day(day, air_files, monkeypatch) -> None:
    size = (air_files / D1).stat().st_size
    line = _refused(*ecoflow(air_files, monkeypatch, truncate={D1: size * 6 // 10})[::2], day)
    assert "小时" in line and "将删除" in line


def test_a_station_gone_is_refused(day, air_files, monkeypatch) -> None:
    lines = [row.split(b",") for row in (air_files / D1).read_bytes().split(b"\r\n") if row]
    (air_files / D1).write_bytes(b"\r\n".join(b",".join(r[:-1]) for r in lines) + b"\r\n")
    line = _refused(*ecoflow(air_files, monkeypatch)[::2], day)
    assert "站点" in line


def test_complete_redelivery_still_replaces(day, air_files, monkeypatch) -> None:
    text = (air_files / D1).read_bytes().split(b"\r\n")
    row = text[5].split(b",")
    col = next(i for i, v in enumerate(row) if i > 2 and v)
    row[col] = b"999"
    text[5] = b",".join(row)
    (air_files / D1).write_bytes(b"\r\n".join(text))
    code, _, err = ecoflow(air_files, monkeypatch)

    assert code == 0, err
    after = stored()
    assert len(after) == len(day) and after != day
    assert 999.0 in {r[4] for r in after}


def test_a_steward_decides_a_shorter_delivery(day, air_files, monkeypatch) -> None:
    size = (air_files / D1).stat().st_size
    code, out, err = ecoflow(air_files, monkeypatch, "--review", "hold", truncate={D1: size // 2})
    assert code == 0, err
    assert "WAITING FOR REVIEW" in out
    assert stored() == day                    # nothing landed while it waits
    st = settings.load()
    with duckdb.connect(str(st.warehouse_path)) as con:
        item, = review.pending(con)
        from tasks.review import policy as review_policy
        info = review.details(con, review.find(con, item["review_id"]), st, review_policy.for_source("air"))
    _, body = review.render(info)
    assert RULE in body and "将删除" in body   # the steward sees what would be removed

    steward = review_policy.for_source("air").stewards[0]
    pipeline.decide(Run("air", Period.parse("2019-01"), item["review_id"], st),
                    review.Decision("accept_clean", decided_by=steward, via="cli"))
    assert 0 < len(stored()) < len(day)       # a person decided: the shorter day replaces, traceably
    with duckdb.connect(str(st.warehouse_path), read_only=True) as con:
        statuses = con.execute("SELECT status FROM meta.batches WHERE file_name = ? ORDER BY fetched_at",
                               [D1]).fetchall()
    assert [s for s, in statuses] == ["landed", "landed"]
