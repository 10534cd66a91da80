"""The competency heatmap: mastery per person and competency worked out by hand, bands,
scoping with the dashboard's filters, and the needs ranks shown only for large-enough units."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.auth.models import UnitSupervisor
from lms.clock import local_today, utcnow
from lms.extensions import db
from lms.plugins.reports import competencies
from lms.plugins.reports.dashboard import Filters
from tests.conftest import login
from tests.needs.test_analysis import FULL, PARTIAL, make_round, quiz, rate, self_assess

AHLI = "Pustakawan Ahli Pertama"


@pytest.fixture
def world(app, org, make_user, imported):
    """Quiz answers on cat-marc (marc-245 1 point, marc-multi 2, marc-tf 1, marc-short 1):

    - ani (section-a1): PARTIAL = 3 of 5 points -> 60 % (band m-3);
    - budi (branch-a): marc-245 wrong, marc-multi half = 1 of 3 points -> 33 % (m-1);
      also FULL in an unsubmitted attempt (ignored);
    - cici (branch-a): FULL = 5 of 5 -> 100 % (m-4);
    - dedi (branch-a, AHLI): no answers -> m-none;
    - eko (branch-b): FULL, outside boss's units.
    The latest closed round: ani self-assessed cat-marc (5, 2) and was rated cat-marc 3,
    cs-reference-interview 2 -> in section-a1, cat-marc ranks 1 and the interview 2.
    """
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"], locale="en")
    db.session.add(UnitSupervisor(user_id=boss.id, unit_id=org["branch_a"].id))
    make_user("librarian", unit=org["branch_a"], locale="en")
    make_user("trainer", roles=("trainer",), unit=org["branch_a"], locale="en")
    people = {
        "ani": make_user("ani", unit=org["section_a1"], full_name="Ani", position=AHLI),
        "budi": make_user("budi", unit=org["branch_a"], full_name="Budi"),
        "cici": make_user("cici", unit=org["branch_a"], full_name="Cici"),
        "dedi": make_user("dedi", unit=org["branch_a"], full_name="Dedi", position=AHLI),
        "eko": make_user("eko", unit=org["branch_b"], full_name="Eko"),
    }
    now = utcnow()
    quiz(people["ani"], "marc", PARTIAL, now)
    quiz(people["budi"], "marc", {"marc-245": 0.0, "marc-multi": 0.5}, now)
    quiz(people["budi"], "marc", FULL, None, status="in_progress")
    quiz(people["cici"], "marc", FULL, now)
    quiz(people["eko"], "marc", FULL, now)
    today = local_today()
    needs_round = make_round(opens=today - timedelta(days=60), closes=today - timedelta(days=30))
    self_assess(needs_round, people["ani"], {"cat-marc": (5, 2)})
    rate(needs_round, boss, people["ani"], {"cat-marc": 3, "cs-reference-interview": 2})
    return {"boss": boss, "org": org, **people}


def signed_in(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def cells(html: str, competency_id: str) -> dict[str, tuple[str, str]]:
    """{user id: (CSS band, text)} of a competency's row."""
    row = re.search(rf'<tr data-competency="{competency_id}">(.*?)</tr>', html, re.S)
    assert row, competency_id
    return {user: (css, text.strip()) for css, user, text in
            re.findall(r'<td class="num heat (m-[a-z0-9]+)" data-user="(\d+)">(.*?)</td>', row.group(1), re.S)}


def ranks(html: str, competency_id: str) -> dict[str, str]:
    row = re.search(rf'<tr data-competency="{competency_id}">(.*?)</tr>', html, re.S)
    return {unit: text.strip() for unit, text in
            re.findall(r'<td class="num needs-rank" data-unit="(\d+)">(.*?)</td>', row.group(1), re.S)}


@pytest.mark.parametrize("percent, css", [
    (None, "m-none"), (0, "m-0"), (19.4, "m-0"), (19.5, "m-1"), (39.9, "m-2"), (59.4, "m-2"),
    (60, "m-3"), (79.4, "m-3"), (79.5, "m-4"), (100, "m-4"),
])
def test_bands(app, percent, css):
    assert competencies.band(percent) == css  # bands follow the whole number shown


def test_figures_and_bands_on_the_page(app, world):
    html = signed_in(app, "boss").get("/reports/competencies").get_data(as_text=True)
    marc = cells(html, "cat-marc")
    ids = {name: str(world[name].id) for name in ("ani", "budi", "cici", "dedi", "eko")}
    assert marc[ids["ani"]] == ("m-3", "60")
    assert marc[ids["budi"]] == ("m-1", "33")
    assert marc[ids["cici"]] == ("m-4", "100")
    assert marc[ids["dedi"]] == ("m-none", "—")
    assert ids["eko"] not in marc  # branch-b is not boss's
    assert set(cells(html, "cat-classification").values()) == {("m-none", "—")}
    assert "<caption>" in html and 'scope="rowgroup"' in html and 'scope="col"' in html
    assert f'href="/reports/people/{world["ani"].id}"' in html


def test_service_sums_by_hand(app, world):
    found = competencies.heatmap(world["boss"], Filters(), "en")
    assert [p.name for p in found.people] == ["Ani", "Budi", "Cici", "Dedi", "Librarian"]
    budi = found.mastery[world["budi"].id]["cat-marc"]
    assert (budi.answers, budi.earned, budi.points) == (2, pytest.approx(1.0), pytest.approx(3.0))
    assert world["dedi"].id not in found.mastery


def test_filters_reuse_the_dashboard(app, world):
    client = signed_in(app, "boss")
    html = client.get(f"/reports/competencies?unit={world['org']['section_a1'].id}").get_data(as_text=True)
    assert list(cells(html, "cat-marc")) == [str(world["ani"].id)]
    html = client.get(f"/reports/competencies?position={AHLI}").get_data(as_text=True)
    assert set(cells(html, "cat-marc")) == {str(world["ani"].id), str(world["dedi"].id)}
    assert client.get(f"/reports/competencies?unit={world['org']['branch_b'].id}").status_code == 404
    assert client.get("/reports/competencies?unit=abc").status_code == 404
    html = client.get("/reports/competencies?position=nobody").get_data(as_text=True)
    assert "No librarians match these filters." in html


@pytest.mark.parametrize("username, status", [("librarian", 403), ("trainer", 403), ("boss", 200)])
def test_only_supervisors_and_admins(app, world, username, status):
    assert signed_in(app, username).get("/reports/competencies").status_code == status


def test_needs_ranks_only_for_units_with_enough_respondents(app, world):
    section = world["org"]["section_a1"].id
    client = signed_in(app, "boss")
    html = client.get(f"/reports/competencies?unit={section}").get_data(as_text=True)
    assert ranks(html, "cat-marc") == {str(section): ""}  # 1 respondent < NEEDS_MIN_GROUP (5)
    app.config["NEEDS_MIN_GROUP"] = 1
    html = client.get(f"/reports/competencies?unit={section}").get_data(as_text=True)
    # cat-marc: self 0.75 and supervisor 0.25; the interview: supervisor 0.25 only
    assert ranks(html, "cat-marc") == {str(section): "1"}
    assert ranks(html, "cs-reference-interview") == {str(section): "2"}
    assert ranks(html, "cat-classification") == {str(section): ""}


def test_heatmap_renders_in_indonesian(app, world):
    world["boss"].locale = "id"
    db.session.commit()
    response = signed_in(app, "boss").get("/reports/competencies")
    assert response.status_code == 200
    assert cells(response.get_data(as_text=True), "cat-marc")[str(world["ani"].id)] == ("m-3", "60")
