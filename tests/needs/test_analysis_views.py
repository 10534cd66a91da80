"""The analysis pages: who sees what, the ranked table, the chart, breakdowns, evidence."""
from __future__ import annotations

import re
from datetime import date

import pytest

from lms.auth.models import UnitSupervisor
from lms.extensions import db
from lms.plugins.needs.analysis import min_group
from tests.needs.test_analysis import PARTIAL, local, make_round, patron, people, quiz, rate, self_assess


@pytest.fixture(autouse=True)
def show_small_groups(app):
    """These fixtures have one or two respondents; pages hide groups under NEEDS_MIN_GROUP,
    so most tests lower it to 1 to see the figures (the hiding has its own test below)."""
    app.config["NEEDS_MIN_GROUP"] = 1


def english(client):
    client.user.locale = "en"
    db.session.commit()
    return client


@pytest.fixture
def trainer(client_as, imported):
    return english(client_as("trainer"))


@pytest.fixture
def supervisor(client_as, imported, org):
    client = english(client_as("supervisor", unit_code="branch-a"))
    db.session.add(UnitSupervisor(unit_id=org["branch_a"].id, user_id=client.user.id))
    db.session.commit()
    return client


@pytest.fixture
def two_units(make_user, org, imported):
    """A closed round: one respondent in section A1 (cat-marc gap), one in branch B
    (cat-classification gap), patron answers in each branch."""
    needs_round = make_round()
    self_assess(needs_round, make_user("ana", unit=org["section_a1"]), {"cat-marc": (5, 1)})  # MWDS 20
    self_assess(needs_round, make_user("bob", unit=org["branch_b"]), {"cat-classification": (4, 1)})  # MWDS 12
    patron(needs_round, "cat-marc", [2], unit=org["branch_a"])
    patron(needs_round, "cat-marc", [5, 5, 5, 4], unit=org["branch_b"])
    return needs_round


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def row(html: str, competency_id: str) -> str:
    start = html.index(f'id="c-{competency_id}"')
    return html[start:html.index("</tr>", start)]


def test_trainer_sees_the_whole_organisation_with_the_chart(trainer, two_units):
    html = page(trainer, "/needs/analysis/")
    assert "Putaran 2026" in html and "Respondents (self-assessments): 2" in html
    marc = row(html, "cat-marc")
    assert "20.00" in marc and "4.20" in marc  # patron mean (2 + 5 + 5 + 5 + 4) / 5
    assert "12.00" in row(html, "cat-classification")
    # the chart: server-drawn SVG, labelled, quadrants by class, no inline style or script
    assert '<svg class="quadrant-chart" role="img"' in html
    assert '<title id="quadrant-title">' in html and '<desc id="quadrant-desc">' in html
    assert 'class="q q-focus"' in html and "Training priority" in html
    assert html.count('<g class="pt pt-') == 2
    assert 'id="quadrant-data"' in html
    assert "style=" not in html and not re.search(r"<script(?![^>]*\ssrc=\"/static/js/)", html)  # script files only


def test_trainer_filters_by_unit(trainer, two_units, org):
    html = page(trainer, f"/needs/analysis/?unit={org['branch_b'].id}")
    assert "Respondents (self-assessments): 1" in html
    assert "4.75" in row(html, "cat-marc")  # only branch B's patrons: (5 + 5 + 5 + 4) / 4
    assert "20.00" not in row(html, "cat-marc")


def test_supervisor_sees_only_their_units(supervisor, two_units, org):
    html = page(supervisor, "/needs/analysis/")
    assert "Respondents (self-assessments): 1" in html
    marc = row(html, "cat-marc")
    assert "20.00" in marc and "2.00" in marc  # A1's respondent, branch A's patron answer
    assert "12.00" not in html and "4.20" not in html  # nothing from branch B
    assert page(supervisor, f"/needs/analysis/?unit={org['section_a1'].id}")
    page(supervisor, f"/needs/analysis/?unit={org['branch_b'].id}", 404)
    page(supervisor, f"/needs/analysis/?unit={org['library'].id}", 404)  # above their unit
    page(supervisor, "/needs/analysis/?unit=nope", 404)
    page(supervisor, f"/needs/analysis/{two_units.id}/breakdown?by=unit&unit={org['branch_b'].id}", 404)
    page(supervisor, f"/needs/analysis/{two_units.id}/competency/cat-marc?unit={org['branch_b'].id}", 404)
    page(supervisor, f"/needs/analysis/impact?unit={org['branch_b'].id}", 404)
    evidence = page(supervisor, f"/needs/analysis/{two_units.id}/competency/cat-classification")
    assert "no data" in evidence and "12.000" not in evidence


def test_librarian_is_refused_the_organisation_analysis(client_as, imported, two_units):
    librarian = client_as("librarian")
    for path in ("/needs/analysis/", f"/needs/analysis/{two_units.id}/breakdown",
                 f"/needs/analysis/{two_units.id}/competency/cat-marc", "/needs/analysis/impact"):
        assert librarian.get(path).status_code == 403, path


def test_round_without_responses_shows_a_message(trainer):
    make_round()
    html = page(trainer, "/needs/analysis/")
    assert 'id="no-responses"' in html and "<svg" not in html and 'id="ranked"' not in html


def test_no_round_at_all(trainer):
    assert 'id="no-round"' in page(trainer, "/needs/analysis/")


def test_round_choice_and_unknown_ids(trainer, two_units):
    older = make_round("Putaran 2025", date(2025, 1, 1), date(2025, 1, 31))
    html = page(trainer, f"/needs/analysis/?round={older.id}")
    assert "Putaran 2025" in html and 'id="no-responses"' in html
    page(trainer, "/needs/analysis/?round=999", 404)
    page(trainer, f"/needs/analysis/{two_units.id}/breakdown?by=colour", 404)
    page(trainer, f"/needs/analysis/{two_units.id}/competency/no-such", 404)
    page(trainer, "/needs/analysis/999/competency/cat-marc", 404)


def test_breakdown_hides_small_groups(app, trainer, make_user, org):
    app.config["NEEDS_MIN_GROUP"] = 5  # the default
    needs_round = make_round()
    assert min_group() == 5
    for user in people(make_user, 4, org["branch_a"], "a"):
        self_assess(needs_round, user, {"cat-marc": (5, 1)})
    for user in people(make_user, 5, org["branch_b"], "b"):
        self_assess(needs_round, user, {"cat-marc": (4, 2)})  # MWDS = 10 * 4 / 5 = 8
    html = page(trainer, f"/needs/analysis/{needs_round.id}/breakdown?by=unit")
    hidden = html[html.index("Cabang A"):html.index("</tr>", html.index("Cabang A"))]
    assert "fewer than 5 respondents" in hidden and "20.00" not in html
    shown = html[html.index("Cabang B"):html.index("</tr>", html.index("Cabang B"))]
    assert "8.00" in shown
    assert "(not recorded)" in page(trainer, f"/needs/analysis/{needs_round.id}/breakdown?by=position")


def test_evidence_page_traces_the_figures(trainer, make_user):
    needs_round = make_round()
    for user, pair in zip(people(make_user, 3), [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})
    patron(needs_round, "cat-marc", [4, 3, 2, 5])
    html = page(trainer, f"/needs/analysis/{needs_round.id}/competency/cat-marc")
    assert "MWDS = Σ(I − A) × mean(I) / n = 8 × (14 / 3) / 3 = 12.444" in html
    assert "priority = (0.4 × 0.622 + 0.15 × 0.375) / (0.4 + 0.15) = 0.555" in html
    assert "4 answers, sum 14, mean 3.50" in html


def test_mine_shows_only_the_librarians_own_evidence(client_as, make_user, imported, org):
    needs_round = make_round()
    me = english(client_as("librarian", unit_code="branch-a"))
    other = make_user("other", unit=org["branch_a"])
    self_assess(needs_round, me.user, {"cat-marc": (5, 2)})
    self_assess(needs_round, other, {"cat-marc": (1, 4), "cat-classification": (2, 3)})
    rate(needs_round, make_user("boss", roles=("supervisor",)), other, {"cat-marc": 1})
    quiz(me.user, "marc", PARTIAL, local(2026, 1, 10))
    html = page(me, "/needs/analysis/mine")
    mine = row(html, "cat-marc")
    assert "<td class=\"num\">5</td>" in mine and "<td class=\"num\">2</td>" in mine and "60%" in mine
    # self need 15/20 = .75, quiz .4: (0.4 * .75 + 0.15 * .4) / 0.55 = 0.655
    assert "0.655" in mine
    assert 'id="c-cat-classification"' not in html  # only the other person answered it
    assert "1.0" not in mine  # the other person's supervisor rating


def test_mine_without_evidence(client_as, imported):
    librarian = english(client_as("librarian"))
    assert "No needs round has closed yet" in page(librarian, "/needs/analysis/mine")
    make_round()
    assert "holds no evidence about you" in page(librarian, "/needs/analysis/mine")


def test_impact_needs_two_rounds(trainer):
    make_round()
    assert 'id="need-two"' in page(trainer, "/needs/analysis/impact")


def test_impact_page_compares_two_rounds(trainer, make_user):
    first = make_round("Putaran 2025", date(2025, 1, 1), date(2025, 1, 31))
    second = make_round()
    user = make_user("x")
    self_assess(first, user, {"cat-marc": (5, 1)})  # MWDS 20
    self_assess(second, user, {"cat-marc": (5, 4)})  # MWDS 5
    html = page(trainer, "/needs/analysis/impact")
    assert "20.00" in html and "5.00" in html and "-15.00" in html
    same = page(trainer, f"/needs/analysis/impact?from={first.id}&to={first.id}")
    assert "Choose two different rounds" in same


def test_a_scope_under_the_minimum_group_shows_no_figures(app, trainer, supervisor, two_units, org):
    """Two respondents in the organisation, one per unit: with NEEDS_MIN_GROUP 2 the
    organisation shows its figures, one unit alone (one person's answers) does not."""
    app.config["NEEDS_MIN_GROUP"] = 2
    html = page(trainer, "/needs/analysis/")
    assert 'id="ranked"' in html and "too-small" not in html
    for client, path in ((trainer, f"/needs/analysis/?unit={org['branch_a'].id}"), (supervisor, "/needs/analysis/"),
                         (trainer, f"/needs/analysis/{two_units.id}/competency/cat-marc?unit={org['branch_a'].id}")):
        html = page(client, path)
        assert 'id="too-small"' in html and "Only 1 staff member(s) answered" in html
        assert 'id="ranked"' not in html and "20.00" not in html and "<svg" not in html
