"""The Jinja2 environment of every email, page and report (`tasks/templates/`), built once per process: Jinja
compiles a template once per environment, and an environment built per message compiled each template again (a
month's digests spent more time compiling templates than writing them)."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment(*, trim: bool = False) -> Environment:
    """Undefined names fail loudly, .html.j2 is escaped; `trim` drops the newline after a block tag and the
    spaces before it (the bulletin, the 月报 and the check report are written with that in mind)."""
    return Environment(loader=PackageLoader("tasks", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html.j2"]), trim_blocks=trim, lstrip_blocks=trim)
