"""The Data Docs views: a context the runner opens renders with tasks.validate.data_docs' views, whose pages are
GX's own (the same HTML as GX's default views write) and whose templates are compiled once a process."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tasks.validate import data_docs, runner

SUITE = {"expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"},
     "meta": {"rule": "t.not_null", "reason": "空值"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "max_value": 10},
     "meta": {"rule": "t.range", "reason": "超出范围"}},
]}
FRAME = pd.DataFrame({"row_id": [10, 11, 12, 13], "value": [1.0, None, 11.0, 5.0]})


@pytest.fixture
def validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A month's context with one stored validation result, as the runner leaves it."""
    folder = tmp_path / "expectations"
    folder.mkdir()
    (folder / "tiny.json").write_text(json.dumps(SUITE), encoding="utf-8")
    monkeypatch.setattr(runner, "EXPECTATIONS_DIR", folder)
    monkeypatch.setattr(runner, "_set_up", {})
    for cached in (runner.suite_definition, runner._checkpoint, runner._context):
        cached.cache_clear()
    root = tmp_path / "2025-01"
    outcome = runner.validate(FRAME, suite="tiny", row_key="row_id", parameters={}, gx_root=root, run_name="r")
    runner.publish(root, [outcome])
    yield root
    for cached in (runner.suite_definition, runner._checkpoint, runner._context):
        cached.cache_clear()


def _site(root: Path) -> dict:
    config = yaml.safe_load((root / "gx" / "great_expectations.yml").read_text(encoding="utf-8"))
    return config["data_docs_sites"]["local_site"]


def _pages(root: Path) -> dict[str, str]:
    """Each page of the site, with what differs between any two builds (element uuids, build times) blanked."""
    site = runner.data_docs_index(root).parent
    blank = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|d=\d{8}T[\d.]+Z")
    return {str(p.relative_to(site)): blank.sub("", p.read_text(encoding="utf-8")) for p in site.rglob("*.html")}


def _rebuild(root: Path) -> None:
    import great_expectations as gx

    shutil.rmtree(runner.data_docs_index(root).parent)
    gx.get_context(mode="file", project_root_dir=str(root)).build_data_docs()


def test_the_runner_names_the_views_and_they_write_the_pages_gx_writes(validated: Path, tmp_path: Path) -> None:
    site = _site(validated)
    assert site["site_index_builder"]["view"] == data_docs.INDEX_VIEW
    assert {name: s["view"] for name, s in site["site_section_builders"].items()} == \
        dict.fromkeys(data_docs.SECTIONS, data_docs.PAGE_VIEW)
    published = _pages(validated)
    _rebuild(validated)                         # the whole site, built again from the compiled templates
    ours = _pages(validated)
    [page] = [name for name in ours if name.startswith("validations/")]
    assert "values must never be null." in ours[page] and "25% of 4 total rows" in ours[page]   # the findings
    assert ours[page] == published[page] and "index.html" in ours
    # the same site with GX's default views (the settings as GX writes them)
    default = tmp_path / "default"
    shutil.copytree(validated / "gx", default / "gx")
    config_file = default / "gx" / "great_expectations.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    local = config["data_docs_sites"]["local_site"]
    del local["site_section_builders"], local["site_index_builder"]["view"]
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    _rebuild(default)
    assert _pages(default) == ours


def test_templates_are_compiled_once_and_again_when_their_source_changes(validated: Path) -> None:
    from jinja2 import DictLoader

    assert data_docs.COMPILED._code          # the build above kept its compiled templates
    view = data_docs.PageView()
    compiled = []
    view.env.compile = lambda source, *args, **kwargs: compiled.append(source) or type(view.env).compile(
        view.env, source, *args, **kwargs)
    view.env.loader = DictLoader({"note.j2": "{{ a }}"})
    view.env.cache = None                      # every get_template goes to the loader (and the bytecode cache)
    assert view.env.get_template("note.j2").render(a=1) == "1"
    assert view.env.get_template("note.j2").render(a=2) == "2"
    assert compiled == ["{{ a }}"]              # compiled once, then taken from the shared cache
    view.env.loader = DictLoader({"note.j2": "[{{ a }}]"})
    assert view.env.get_template("note.j2").render(a=3) == "[3]"   # a changed source is compiled again
    assert compiled == ["{{ a }}", "[{{ a }}]"]
