"""The demo page: a fictitious territory website that embeds the widget with one script tag
(template bot/web/templates/demo.html, autoescaped)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from bot.templating import environment
from catalog.files import data_dir
from settings import WebSettings

TEMPLATES = environment(Path(__file__).resolve().parent / "templates")


@cache
def territory_name(territory_id: str) -> str:
    records = yaml.safe_load((data_dir() / "territories.yml").read_text(encoding="utf-8")) or []
    return next((r["name"] for r in records if r.get("id") == territory_id), territory_id)


def render_demo(settings: WebSettings) -> str:
    return TEMPLATES.get_template("demo.html").render(
        rasa_url=settings.rasa_url,
        territory=settings.demo_territory,
        territory_name=territory_name(settings.demo_territory),
    )
