"""Backup and restore of what a bureau is audited on: the warehouse, the raw archive, the validation reports and
the catalogue they were computed with.

A backup is taken while Airflow may be running. DuckDB lets one process write, and a read-only connection holds
the file's shared lock, so no writing task can change the file while the backup holds one: the backup waits
for the lock (a writing task holds it for seconds), copies the file (and a WAL a crashed writer left) and lets
go, then exports the copy with `EXPORT DATABASE` (Parquet), which any later DuckDB can import. The archive and
reports are copied after the warehouse, so every file the copied ledger names is in the backup (an archive
file newer than the ledger is harmless). MANIFEST.json lists every file with its SHA-256; a restore checks them
all before it touches anything, imports into a new file beside the target and moves it into place, rewrites the
paths the ledger holds to the new home, and migrates the warehouse forward when the backup is from an earlier
release.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.core import sql
from tasks.core.errors import ConfigError, UsageError
from tasks.core.settings import REPO_ROOT, Settings
from tasks.core.warehouse import table_name, transaction

FORMAT = "ecoflow-backup/1"
MANIFEST = "MANIFEST.json"
WAREHOUSE_EXPORT = "warehouse"          # EXPORT DATABASE folder (schema.sql, load.sql, one Parquet per table)
#: Folders of ECOFLOW_HOME copied as they are (the raw archive first: the ledger points into it).
HOME_FOLDERS = ("raw", "reports")
CATALOGUE = "catalogue"
CATALOGUE_DIR = REPO_ROOT / "warehouse" / "catalogue"


@dataclass(frozen=True)
class BackupResult:
    dest: Path
    files: int
    bytes: int
    tables: dict[str, int]
    migrations: list[str]


def backup(settings: Settings, dest: Path, *, wait_seconds: float = 600.0) -> BackupResult:
    """Write a backup of settings.home into `dest` (a new or empty folder)."""
    dest = dest.resolve()
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"backup destination {dest} is not empty: give a new folder")
    if not settings.warehouse_path.exists():
        raise ConfigError(f"no warehouse at {settings.warehouse_path}: nothing to back up")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ecoflow-backup-") as scratch:
        copy = Path(scratch) / "warehouse.duckdb"
        _copy_under_lock(settings.warehouse_path, copy, wait_seconds)
        with duckdb.connect(str(copy)) as con:
            con.execute("CHECKPOINT")  # folds a copied WAL in
            tables = _row_counts(con)
            migrations = _applied(con)
            # EXPORT, like COPY below, takes its path as a literal, not a parameter: quoted by _literal
            con.execute(f"EXPORT DATABASE '{_literal(dest / WAREHOUSE_EXPORT)}' (FORMAT parquet)")
    for folder in HOME_FOLDERS:
        if (settings.home / folder).is_dir():
            shutil.copytree(settings.home / folder, dest / folder, ignore=shutil.ignore_patterns("*.part"))
    shutil.copytree(CATALOGUE_DIR, dest / CATALOGUE)
    files = _checksums(dest)
    manifest = {
        "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "home": str(settings.home), "duckdb_version": duckdb.__version__, "migrations": migrations,
        "tables": tables, "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    size = sum((dest / name).stat().st_size for name in files)
    return BackupResult(dest, len(files), size, tables, migrations)


@dataclass(frozen=True)
class RestoreResult:
    home: Path
    tables: dict[str, int]
    migrated: list[str]
    catalogue_differs: list[str]


def restore(settings: Settings, src: Path, *, force: bool = False) -> RestoreResult:
    """Restore the backup in `src` into settings.home: verified first, then imported, then migrated forward.

    A home that already has a warehouse is refused unless `force`; with force the old warehouse file is kept
    beside the new one as warehouse.duckdb.before-restore-<time>. The installed catalogue is not overwritten:
    the files that differ from the backup's are returned (restore them by hand if that is what was meant).
    """
    src = src.resolve()
    manifest = verify(src)
    home = settings.home
    if settings.warehouse_path.exists() and not force:
        raise UsageError(f"{settings.warehouse_path} exists: restore into a new ECOFLOW_HOME, or pass --force to "
                         "set the current warehouse aside")
    home.mkdir(parents=True, exist_ok=True)
    staged = home / f".restore-{os.getpid()}.duckdb"
    staged.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(staged)) as con:
            _import(con, src / WAREHOUSE_EXPORT)
            rehome(con, manifest["home"], str(home))
            tables = _row_counts(con)
        if tables != manifest["tables"]:
            wrong = sorted(t for t in set(tables) | set(manifest["tables"])
                           if tables.get(t) != manifest["tables"].get(t))
            raise ConfigError(f"backup {src}: the imported warehouse differs from the manifest in {', '.join(wrong)}")
        for folder in HOME_FOLDERS:
            if (src / folder).is_dir():
                shutil.copytree(src / folder, home / folder, dirs_exist_ok=True)
        if settings.warehouse_path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            settings.warehouse_path.replace(home / f"warehouse.duckdb.before-restore-{stamp}")
        staged.replace(settings.warehouse_path)
    finally:
        staged.unlink(missing_ok=True)
    from tasks.flow.warehouse import writer

    with writer(settings) as con:  # a writer's connection migrates a warehouse of an earlier release forward
        migrated = sorted(set(_applied(con)) - set(manifest["migrations"]))
    return RestoreResult(home, tables, migrated, _catalogue_differences(src / CATALOGUE))


def verify(src: Path) -> dict:
    """The backup's manifest, after checking every file it lists (and that it lists every file)."""
    path = src / MANIFEST
    if not path.is_file():
        raise UsageError(f"{src} is not an ecoflow backup: no {MANIFEST}")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ConfigError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    found = _checksums(src)
    missing = sorted(set(manifest["files"]) - set(found))
    extra = sorted(set(found) - set(manifest["files"]))
    changed = sorted(n for n in set(found) & set(manifest["files"]) if found[n] != manifest["files"][n])
    if missing or extra or changed:
        raise ConfigError(f"backup {src} is damaged: {len(missing)} missing, {len(changed)} changed, "
                          f"{len(extra)} unexpected file(s); first: {(missing + changed + extra)[0]}")
    return manifest


_COPY = re.compile(r"""^COPY\s+(\S+)\s+FROM\s+'(.*)'\s*\(FORMAT 'parquet'\);$""")


def _import(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """IMPORT DATABASE without the views: DuckDB's export orders views by name, so one that reads a later view
    fails to import; the views are the re-runnable models (warehouse/models), which a writer's connection
    recreates when one is missing. Tables come from the Parquet files in `folder`, wherever the backup was moved."""
    with transaction(con):
        for stmt in sql.statements((folder / "schema.sql").read_text(encoding="utf-8")):
            if not stmt.lstrip().upper().startswith("CREATE VIEW"):
                con.execute(stmt)
        for line in (folder / "load.sql").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            match = _COPY.match(line.strip())
            if not match:
                raise ConfigError(f"{folder / 'load.sql'}: unexpected statement {line[:80]!r}")
            table, parquet = match.group(1), folder / Path(match.group(2).replace("''", "'")).name
            con.execute(f"COPY {table_name(con, table)} FROM '{_literal(parquet)}' (FORMAT parquet)")


def _copy_under_lock(path: Path, copy: Path, wait_seconds: float) -> None:
    """Copy the warehouse file while holding a read-only connection (DuckDB's shared lock: no writer can open it
    meanwhile), waiting for a writer that holds it; the WAL a crashed writer left is copied with it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException as exc:
            if time.monotonic() > deadline:
                raise ConfigError(f"the warehouse {path} stayed locked by a writer for {wait_seconds:.0f} s; "
                                  "retry when the running task has finished") from exc
            time.sleep(1.0)
    try:
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    finally:
        con.close()


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = con.execute(sql.load("queries/backup_tables")).fetchall()
    return {f"{s}.{t}": con.execute(sql.with_names("queries/backup_row_count", table=table_name(con, f"{s}.{t}")))
            .fetchall()[0][0] for s, t in names}


def rehome(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    """Paths the ledger and reports hold (archive_path, report_path, …) pointed into the old home: point them
    into the new one. Columns are every text column (names from information_schema only); values are bound."""
    if old == new:
        return
    columns = con.execute(sql.load("queries/backup_text_columns")).fetchall()
    for schema, table, column in columns:
        con.execute(f'UPDATE "{schema}"."{table}" SET "{column}" = $new || substr("{column}", length($old) + 1) '
                    f'WHERE "{column}" = $old OR starts_with("{column}", $old || \'/\')', {"old": old, "new": new})


def _applied(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(sql.load("queries/backup_migrations")).fetchall()]


def _catalogue_differences(saved: Path) -> list[str]:
    if not saved.is_dir():
        return []
    ours, theirs = _checksums(CATALOGUE_DIR), _checksums(saved)
    return sorted(n for n in set(ours) | set(theirs) if ours.get(n) != theirs.get(n))


def _checksums(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
        out[path.relative_to(root).as_posix()] = digest.hexdigest()
    return out


def _literal(path: Path) -> str:
    """A path inside a SQL string literal (EXPORT/IMPORT take no parameters)."""
    return str(path).replace("'", "''")
