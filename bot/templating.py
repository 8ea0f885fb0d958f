"""Jinja2 environments for the HTML pages rendered outside the console (the flow report, the
demo page): templates in a folder next to their module, autoescaping on, undefined names an
error. Text is escaped as `html.escape` does (`&#x27;` and `&quot;` for quotes), the form these
pages used before they moved to Jinja2."""

from __future__ import annotations

import html
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup


def _escaped(value: object) -> object:
    """Every `{{ … }}` value, escaped; markup built by a template (macros) is kept."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def environment(directory: Path) -> Environment:
    """An autoescaping environment over the templates of `directory`."""
    return Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
