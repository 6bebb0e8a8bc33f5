"""A secret scan of the repository, run in CI with the tests: no key, token or password is ever committed.

Every file git tracks is read (binary files skipped) and matched against the shapes secrets take: private keys,
cloud and forge tokens, passwords written into URLs, connection strings or assignments. A test's deliberately fake
credential is allowed where the line says so (`secret-scan: allow`) or it is one of the placeholders below.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abpors]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "password in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]{3,})@"),
    "password assignment": re.compile(
        r"(?i)\b(?:password|passwd|pwd|secret|api_key|apikey|token)\b\s*[:=]\s*['\"]([^'\"\s]{6,})['\"]"),
}
#: Values that are plainly not secrets (documentation placeholders, test fakes, variables).
PLACEHOLDERS = re.compile(r"(?i)^(?:\$\{[^}]*\}|\$\w+|<[^>]+>|x+|\*+|changeme|example\w*|password|secret|s3cret|"
                          r"test\w*|fake\w*|dummy\w*|airflow|ecoflow\w*|postgres|admin|\{\{.*\}\}|%\(.*\)s)$")
ALLOW = "secret-scan: allow"


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def scan(files: list[Path]) -> list[str]:
    """`file:line: kind` for every likely secret."""
    found = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192] or path.stat().st_size > 5 * 2**20:
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            if ALLOW in line:
                continue
            for kind, pattern in PATTERNS.items():
                for match in pattern.finditer(line):
                    value = match.group(1) if match.groups() else match.group(0)
                    if match.groups() and PLACEHOLDERS.match(value):
                        continue
                    found.append(f"{path.relative_to(ROOT)}:{number}: {kind}")
    return found


def test_no_secret_is_committed() -> None:
    findings = scan(tracked_files())
    assert not findings, "likely secrets committed:\n" + "\n".join(findings)


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    planted = tmp_path / "leak.py"
    planted.write_text("".join([
        'AWS = "AKIAIOSFODNN7EXAMPLE"\n',  # secret-scan: allow
        'url = "smtp://bureau:Hunter2Pass@mail.example"\n',  # secret-scan: allow
        'password = "Tr0ub4dor&3"\n',  # secret-scan: allow
        'ok = "smtp://user:${SMTP_PASSWORD}@x"\n']), encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = scan([planted])
    finally:
        ROOT = saved
    assert found == ["leak.py:1: AWS access key", "leak.py:2: password in a URL", "leak.py:3: password assignment"]
