"""Issue 19, item 2: the observatory page of the console over real HTTP (the web server as a
child process) and in Chromium with axe-core: an advisor sees their territory only, an
administrator every territory and them side by side, counts from 1 to 4 read « < 5 » in the
page, the charts and the CSV files, filters by dates and channel; no message text anywhere.

The observatory's tables are filled as the consumer fills them (bot/observatory/fold.py) with
the recorded conversations of fixtures/console_tracker_events.json, copied under new ids."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from console_harness import ADMIN, ROUBAIX, TOULOUSE, create_people, signed_in_fixture
from sqlalchemy.orm import Session
from test_console_conversations import at, observe

from bot.web.process import WebServer
from catalog import store
from catalog.models import Lead
from settings import WebSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Seven conversations in Roubaix (two weeks), two in Toulouse, one outside any territory.
PLAN = [
    *[(f"obs-roubaix-{n}", "roubaix-widget", at("2026-03-02", 9, n)) for n in range(4)],
    *[(f"obs-roubaix-{n}", "roubaix-widget", at("2026-03-10", 9, n)) for n in range(4, 7)],
    *[(f"obs-toulouse-{n}", "toulouse-rest", at("2026-03-05", 14, n)) for n in range(2)],
    ("obs-ailleurs", "sans-territoire", at("2026-03-09", 9)),
]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("observatoire")
    database_url = f"sqlite:///{tmp}/catalog.sqlite"
    observe(database_url, PLAN)
    create_people(database_url)
    engine = store.make_engine(database_url)
    with Session(engine) as db, db.begin():
        for n, status in enumerate(["nouveau", "nouveau", "en_cours", "recontacte", "close"] * 2):
            db.add(
                Lead(
                    created_at=datetime(2026, 3, 3 + n, 10, tzinfo=UTC),
                    sender_id=f"obs-roubaix-{n % 7}",
                    channel="rest",
                    territory_id="roubaix",
                    email="quelqu.un@exemple.fr",
                    profile={},
                    aids=[],
                    status=status,
                )
            )
    engine.dispose()
    web = WebSettings(
        host="127.0.0.1", port=_free_port(), rasa_url="http://127.0.0.1:1", origins=()
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", database_url)
        env.setenv("TRACKER_DB", str(tmp / "tracker.sqlite"))
        env.delenv("QP_TRACKER_URL", raising=False)
        with WebServer(web, tmp / "web.log") as server:
            yield server


def _free_port() -> int:
    from bot.runner import free_port

    return free_port()


roubaix = signed_in_fixture("console", ROUBAIX)
toulouse = signed_in_fixture("console", TOULOUSE)
admin = signed_in_fixture("console", ADMIN)


def table(html: str, name: str) -> dict[str, list[str]]:
    """The rows (label → cells) of one table of the page."""
    start = f'<section class="observatory" aria-labelledby="titre-{name}">'
    section = re.search(re.escape(start) + "(.*?)</section>", html, re.DOTALL)
    assert section, name
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', section.group(1), re.DOTALL)
    return {
        unescape(label): [unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", cells)]
        for label, cells in rows
    }


def download(client, name: str, **params) -> list[list[str]]:
    response = client.get(f"/console/observatoire/{name}.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))


def test_an_advisor_sees_the_figures_of_their_territory(roubaix):
    page = roubaix.get("/console/observatoire")
    assert page.status_code == 200
    html = page.text
    assert "7\n  conversations" in html
    weeks = table(html, "conversations")
    assert weeks == {"semaine du 02/03/2026": ["< 5"], "semaine du 09/03/2026": ["< 5"]}
    assert table(html, "stade")["création"] == ["7"]
    assert table(html, "secteur")["commerce"] == ["7"]
    assert table(html, "statut")["demandeur d'emploi"] == ["7"]
    assert table(html, "qpv")["oui"] == ["7", "7"]  # lives and works in a QPV
    assert table(html, "besoins")["financement"] == ["7"]
    aids = table(html, "aides")
    assert aids["Prêt d'honneur Quartier"] == ["7", "0", "0"]  # shown, details, link opened
    assert len(aids) == 5
    assert '<th scope="col">Lien officiel ouvert</th>' in html
    assert table(html, "arret") == {"demande de rappel": ["7"]}
    # 4 people wrote 8 messages not understood: masked on the people, not the messages
    assert table(html, "incomprehension")["semaine du 02/03/2026"] == ["< 5", "< 5"]
    assert table(html, "incomprehension")["semaine du 09/03/2026"] == ["< 5", "< 5"]
    assert "semaine du 02/03/2026 : &lt; 5; semaine du 09/03/2026 : &lt; 5</desc>" in html
    callbacks = table(html, "rappels")
    assert callbacks["nouvelle"] == ["< 5"]
    assert "territoires" not in html.split("<main", 1)[1].split("titre-")[-1]  # no comparison
    # the charts: SVG images with a title, and no bar for a masked count
    assert html.count('role="img"') == 10
    assert '<title id="graphique-stade-titre">' in html
    assert "Toulouse" not in table(html, "stade")
    # no text of any message, no contact details, no conversation id
    for secret in ("épicerie", "exemple.fr", "obs-roubaix", "06 12"):
        assert secret not in html


def test_an_advisor_cannot_look_at_another_territory(roubaix, toulouse):
    forced = roubaix.get("/console/observatoire", params={"territoire": "toulouse"})
    assert table(forced.text, "stade")["création"] == ["7"]
    other = toulouse.get("/console/observatoire").text
    assert table(other, "stade")["création"] == ["< 5"]
    assert "&lt; 5\n  conversations" in other
    assert download(toulouse, "stade")[1:3] == [["idée", "0"], ["création", "< 5"]]


def test_the_administrator_sees_every_territory_and_them_side_by_side(admin):
    html = admin.get("/console/observatoire").text
    assert table(html, "stade")["création"] == ["9"]
    assert table(html, "stade")["non renseigné"] == ["< 5"]  # the one outside any territory
    side = table(html, "territoires")
    assert side["Roubaix"] == ["7", "7", "7", "7", "7"]
    assert side["Toulouse Métropole"] == ["< 5", "0", "< 5", "0", "< 5"]
    assert side["Laval Agglomération"] == ["0", "0", "0", "0", "0"]
    chosen = admin.get("/console/observatoire", params={"territoire": "toulouse"}).text
    assert table(chosen, "stade")["création"] == ["< 5"]
    rows = download(admin, "territoires")
    assert rows[0][0] == "Territoire"
    assert ["Toulouse Métropole", "< 5", "0", "< 5", "0", "< 5"] in rows


def test_filters_by_dates_and_channel_and_csv_of_each_table(roubaix):
    second_week = roubaix.get("/console/observatoire", params={"du": "2026-03-09"}).text
    assert table(second_week, "stade")["création"] == ["< 5"]
    assert list(table(second_week, "conversations")) == ["semaine du 09/03/2026"]
    widget = roubaix.get("/console/observatoire", params={"canal": "widget"}).text
    assert table(widget, "stade")["création"] == ["0"]
    assert "Aucune conversation pour ces critères." in widget
    bad = roubaix.get("/console/observatoire", params={"du": "09/03/2026"})
    assert bad.status_code == 200
    assert "n&#39;est pas valide (attendue sous la forme aaaa-mm-jj" in bad.text
    for name in ("conversations", "stade", "secteur", "statut", "qpv", "besoins", "aides"):
        assert len(download(roubaix, name)) > 1
    assert download(roubaix, "rappels")[1:] == [
        ["nouvelle", "< 5"],
        ["en cours", "< 5"],
        ["recontactée", "< 5"],
        ["close", "< 5"],
    ]
    assert download(roubaix, "incomprehension", au="2026-03-08") == [
        ["Semaine", "Messages non compris", "Conversations concernées"],
        ["semaine du 02/03/2026", "< 5", "< 5"],  # 8 messages, 4 people
    ]
    assert roubaix.get("/console/observatoire/inconnu.csv").status_code == 404


def test_the_page_renders_in_chromium_without_serious_accessibility_violations(console, tmp_path):
    """axe-core finds no serious violation; the screenshot goes to docs/ (the one linked from
    docs/console.md) only when QP_UPDATE_SCREENSHOTS=1, so that a test run leaves the tracked
    file alone (scripts/screenshots.py makes the other screenshots of docs/)."""
    from console_harness import signed_in
    from widget_browser import Chat, chromium

    client = signed_in(console.url, ADMIN)
    cookies = [{"name": c.name, "value": c.value, "url": console.url} for c in client.cookies.jar]
    client.close()
    with chromium() as browser:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(f"{console.url}/console/observatoire")
        assert page.get_by_role("heading", name="Observatoire", exact=True).is_visible()
        assert page.get_by_role("img", name="Étape du projet").count() == 1
        violations = Chat(page).axe_violations()
        assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
        update = os.environ.get("QP_UPDATE_SCREENSHOTS") == "1"
        shot = (DOCS if update else tmp_path) / "console-observatoire.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000
        context.close()
