"""The observatory page (`/console/observatoire`): what the conversations of a territory say
— how many, who comes, what they need, which aids were shown, where people stop, what the
assistant did not understand, the callback requests and their follow-up — as charts (SVG
drawn here, bot/console/charts.py) with their numbers in a table beside each, filtered by
dates and channel, each table downloadable as CSV.

Advisors see their territory; administrators all of them, one chosen, and the territories
side by side. Aggregates only, small counts masked (catalog/observatory_report.py). The
figures come from the observatory's tables, which bot/observatory/ fills from Rasa's events.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import tracker
from bot.console.auth import log_action, page, settings_of
from bot.console.charts import bar_chart
from bot.console.db import session
from bot.console.pages import NO_STORE, error_page, render
from catalog import observatory_report as report
from catalog.accounts import Viewer
from catalog.files import aid_names, territory_names


def _date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        # the date fields send ISO dates; anything else was typed into the URL
        errors.append(
            f"La date « {label} » n'est pas valide (attendue sous la forme aaaa-mm-jj, par "
            "exemple 2026-03-09) : elle a été ignorée."
        )
        return None


def _choices(request: Request, viewer: Viewer) -> tuple[dict[str, str], report.Filters, list[str]]:
    """The filters asked for (French errors for the wrong ones), within the viewer's scope."""
    query = request.query_params
    errors: list[str] = []
    names = territory_names()
    chosen = query.get("territoire", "") if viewer.is_admin else ""
    if chosen not in names:
        chosen = ""
    since = _date(query.get("du", ""), "du", errors)
    until = _date(query.get("au", ""), "au", errors)
    if since and until and since > until:
        errors.append("La date « du » est après la date « au » : les dates ont été ignorées.")
        since = until = None
    channel = query.get("canal", "")
    if channel not in report.CHANNELS:
        channel = ""
    scope = viewer.territories if not chosen else (chosen,)
    filters = report.Filters(
        scope=scope,
        since=tracker._day_start(since) if since else None,
        until=tracker._day_start(until + timedelta(days=1)) if until else None,
        channel=channel or None,
    )
    kept = {
        "territoire": chosen,
        "du": since.isoformat() if since else "",
        "au": until.isoformat() if until else "",
        "canal": channel,
    }
    return {k: v for k, v in kept.items() if v}, filters, errors


def _build(request: Request, viewer: Viewer, filters: report.Filters) -> report.Report:
    with session(settings_of(request).database_url) as db:
        built = report.build(db, filters, aid_names())
        if viewer.is_admin:
            built.tables.append(report.compare(db, filters, territory_names()))
        return built


@page()
def observatory_page(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    kept, filters, errors = _choices(request, viewer)
    built = _build(request, viewer, filters)
    log_action(request, viewer, "observatoire", None, **kept)
    names = territory_names()
    where = (
        names.get(kept["territoire"], "")
        if "territoire" in kept
        else "tous les territoires"
        if viewer.is_admin
        else names.get(viewer.territory or "", "aucun territoire")
    )
    query = urlencode(kept)
    return render(
        request,
        "observatoire.html",
        report=built,
        kept=kept,
        errors=errors,
        names=names,
        where=where,
        channels=report.CHANNELS,
        chart=bar_chart,
        csv_url=lambda name: f"/console/observatoire/{name}.csv" + (f"?{query}" if query else ""),
        mask=report.MASK,
        small=report.SMALL,
    )


@page()
def observatory_csv(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    _, filters, _ = _choices(request, viewer)
    name = request.path_params["name"]
    table = _build(request, viewer, filters).table(name)
    if table is None:
        return error_page(request, 404, "Tableau introuvable", "Ce tableau n'existe pas.")
    log_action(request, viewer, "observatoire_export", name)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(table.columns)
    writer.writerows(table.cells())
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM: spreadsheets read the accents right
        media_type="text/csv; charset=utf-8",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="observatoire-{name}.csv"',
        },
    )


routes = [
    Route("/observatoire", observatory_page),
    Route("/observatoire/{name:str}.csv", observatory_csv),
]
