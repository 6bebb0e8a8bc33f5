"""The CLI contract (issue 12, point 5): with `--json` stdout is JSON only; a malformed argument is one line and
exit 2, before anything runs; an OS error is one line naming what and where."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.cli import commands as cli
from tasks.cli.contract import os_error_line, split_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["status", "--period", ""], ["alerts", "--period", ""], ["status", "--period", " "],
    ["indicators", "--period", "2019-13"], ["report", "--period", "2019-1"], ["submissions", "--period", ""],
    ["run", "air", "--period", ""], ["run", "air", "--period", "2019-01", "--reason", ""],
    ["alerts", "--as-of", "yesterday"], ["indicators", "--period", "2019-01", "--region", ""],
    ["status", "--period", "2019-01\x00"], ["run", "water-capture", "--as-of", "16:00 tomorrow"],
])
def test_malformed_argument_is_one_line_and_exit_2(argv: list[str], tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse's own usage errors exit; the contract's checks return
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    line, = err.strip().splitlines()
    assert line.startswith("ecoflow: error: argument --")
    assert not (tmp_path / "home").exists()      # refused before anything was opened or written


def test_json_stdout_is_json_only_even_beside_human_lines(tmp_path) -> None:
    env = {**os.environ, "ECOFLOW_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tasks.cli.commands", "alerts", "--send", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "alerts sent" in done.stderr           # the human line went to stderr


def test_split_json_keeps_documents_and_moves_log_lines() -> None:
    text = ('INFO airflow: connection loaded\n{\n  "a": [1, 2]\n}\nsent 1 mail\n[]\n'
            '{not json\n')
    docs, other = split_json(text)
    assert [json.loads(d) for d in docs] == [{"a": [1, 2]}, []]
    assert other == "INFO airflow: connection loaded\nsent 1 mail\n{not json\n"


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "磁盘已满"), (errno.EROFS, "只读"),
                                             (errno.EACCES, "权限")])
def test_os_error_line_names_what_and_where(code: int, words: str) -> None:
    line = os_error_line(OSError(code, os.strerror(code), "/srv/ecoflow/archive/air/x.csv.part"))
    assert words in line and "/srv/ecoflow/archive/air/x.csv.part" in line and errno.errorcode[code] in line
    assert "\n" not in line


def test_a_log_handler_made_during_the_command_writes_to_stderr(capsys) -> None:
    """What Airflow does when a command first touches it: a handler on the stdout of that moment."""
    import logging

    from tasks.cli.contract import json_only_stdout

    log = logging.getLogger("ecoflow_contract_test")   # not "airflow": the CLI quiets that one to ERROR
    log.setLevel(logging.INFO)
    log.propagate = False
    with json_only_stdout():
        handler = logging.StreamHandler(sys.stdout)
        log.addHandler(handler)
        try:
            log.warning("[2026-12-07T05:00:00] {base.py:84} INFO - Retrieving connection 'ecoflow_smtp'")
            print(json.dumps({"sent": 1}))
        finally:
            log.removeHandler(handler)
    out, err = capsys.readouterr()
    assert json.loads(out) == {"sent": 1}
    assert "Retrieving connection" in err
