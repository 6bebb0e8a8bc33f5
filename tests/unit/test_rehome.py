"""A restored (or copied) home's paths point into the new home: only paths inside the old one change."""

from __future__ import annotations

import duckdb

from tasks.flow.backup import rehome


def test_only_paths_inside_the_old_home_move() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta; CREATE TABLE meta.files (path TEXT, n INT)")
    con.execute("INSERT INTO meta.files VALUES ('/srv/home/raw/a.csv', 1), ('/srv/home', 2), "
                "('/srv/home2/raw/b.csv', 3), ('see /srv/home/raw', 4), (NULL, 5)")
    rehome(con, "/srv/home", "/data/eco")
    assert con.execute("SELECT path FROM meta.files ORDER BY n").fetchall() == [
        ("/data/eco/raw/a.csv",), ("/data/eco",), ("/srv/home2/raw/b.csv",), ("see /srv/home/raw",), (None,)]
