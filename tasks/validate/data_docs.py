"""Great Expectations' Data Docs page views, with their Jinja templates compiled once per process.

GX builds a new Jinja environment for each view of each Data Docs build, and each environment compiled every
template it rendered again: ~0.4 s of a run's ~0.5 s build, on every delivery. These views are GX's own with one
in-memory bytecode cache shared by their environments (Jinja's documented hook for reusing compiled templates;
a template whose source changes is compiled again). Each context names them in its site's view settings
(`runner._context`); what the pages say is GX's rendering, unchanged.
"""

from __future__ import annotations

from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

MODULE = __name__
#: the views each section of a context's local Data Docs site uses (the site's `site_section_builders` and
#: `site_index_builder` settings; the rest of each section's settings stays GX's default)
PAGE_VIEW = {"module_name": MODULE, "class_name": "PageView"}
INDEX_VIEW = {"module_name": MODULE, "class_name": "IndexPageView"}
SECTIONS = ("expectations", "validations", "profiling")


class _CompiledTemplates(BytecodeCache):
    """Compiled template code kept in memory, keyed by template and checked against the source's checksum."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


COMPILED = _CompiledTemplates()


class PageView(DefaultJinjaPageView):
    """GX's page view (validation results, suites), sharing the process's compiled templates."""

    def __init__(self, custom_styles_directory: str | None = None, custom_views_directory: str | None = None) -> None:
        # named as GX's are: GX passes a view only the settings its signature names
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = COMPILED


class IndexPageView(DefaultJinjaIndexPageView):
    """GX's index page view, sharing the process's compiled templates."""

    def __init__(self, custom_styles_directory: str | None = None, custom_views_directory: str | None = None) -> None:
        # named as GX's are: GX passes a view only the settings its signature names
        super().__init__(custom_styles_directory, custom_views_directory)
        self.env.bytecode_cache = COMPILED


def use_compiled_views(site: dict[str, Any]) -> bool:
    """Name these views in a Data Docs site's settings (a context's `data_docs_sites` entry); True when the settings
    changed and the context's configuration must be saved."""
    changed = False
    index = site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
    if index.get("view") != INDEX_VIEW:
        index["view"] = dict(INDEX_VIEW)
        changed = True
    sections = site.setdefault("site_section_builders", {})
    for name in SECTIONS:
        section = sections.setdefault(name, {})
        if section.get("view") != PAGE_VIEW:
            section["view"] = dict(PAGE_VIEW)
            changed = True
    return changed
