"""The demo page: a fictitious territory website that embeds the widget with one script tag."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path
from string import Template

import yaml

from bot.web.settings import WebSettings
from catalog.files import data_dir

PAGES_DIR = Path(__file__).resolve().parent / "pages"


@lru_cache(maxsize=None)
def territory_name(territory_id: str) -> str:
    records = yaml.safe_load((data_dir() / "territories.yml").read_text(encoding="utf-8")) or []
    return next((r["name"] for r in records if r.get("id") == territory_id), territory_id)


def render_demo(settings: WebSettings) -> str:
    template = Template((PAGES_DIR / "demo.html").read_text(encoding="utf-8"))
    return template.substitute(
        rasa_url=escape(settings.rasa_url, quote=True),
        territory=escape(settings.demo_territory, quote=True),
        territory_name=escape(territory_name(settings.demo_territory)),
    )
