"""``lms needs analyze``: the table, the JSON and the clear refusals."""
from __future__ import annotations

import json
from datetime import date

import pytest

from lms.auth.models import Unit, User
from lms.extensions import db
from lms.plugins.courses.models import Competency
from tests.needs.test_analysis import home_unit, make_round, self_assess


@pytest.fixture
def cli(english_app):
    db.session.add_all([
        Competency(id="cat-marc", area="cataloguing", area_name_id="Katalogisasi", area_name_en="Cataloguing",
                   name_id="MARC", name_en="MARC", position=0),
        Competency(id="cs-reference", area="service", area_name_id="Layanan", area_name_en="Service",
                   name_id="Referensi", name_en="Reference", position=1),
    ])
    db.session.commit()
    return english_app.test_cli_runner()


def user(username: str, unit: Unit | None = None) -> User:
    found = User(username=username, full_name=username, unit=unit)
    found.set_roles(["librarian"])
    found.set_password("x" * 12)
    db.session.add(found)
    db.session.commit()
    return found


def run(cli, *args):
    return cli.invoke(args=["needs", "analyze", *args])


def test_no_round_at_all(cli):
    result = run(cli)
    assert result.exit_code == 1
    assert "No needs round has closed yet" in result.output


def test_unknown_round_and_unit(cli):
    make_round()
    assert run(cli, "--round", "99").exit_code == 1
    assert "No needs round with id 99" in run(cli, "--round", "99").output
    result = run(cli, "--unit", "nowhere")
    assert result.exit_code == 1 and "No unit with code nowhere" in result.output


def test_empty_round_is_a_note(cli):
    make_round()
    result = run(cli)
    assert result.exit_code == 0
    assert "No responses in this round" in result.output


def test_ranked_table(cli):
    needs_round = make_round()
    for name, pair in zip(("a", "b", "c"), [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user(name), {"cat-marc": pair, "cs-reference": (3, 2)})
    result = run(cli)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Respondents: 3" in lines
    ranked = [line.split() for line in lines if line.strip()[:1].isdigit() or line.strip().startswith("-")]
    # cat-marc: MWDS 12.44, need .622; cs-reference: D 1 each, mean I 3 -> MWDS 3 * 3 / 3 = 3, need .15
    assert ranked == [["1", "cat-marc", "0.622", "12.44", "3"], ["2", "cs-reference", "0.150", "3.00", "3"]]


def test_json_and_unit_filter(cli):
    needs_round = make_round()
    home = home_unit()
    branch_a = Unit(code="branch-a", name="Cabang A", kind="branch", parent=home)
    branch_b = Unit(code="branch-b", name="Cabang B", kind="branch", parent=home)
    db.session.add_all([branch_a, branch_b])
    db.session.commit()
    self_assess(needs_round, user("a", branch_a), {"cat-marc": (5, 1)})
    self_assess(needs_round, user("b", branch_b), {"cat-marc": (3, 3)})
    older = make_round("Lama", date(2024, 1, 1), date(2024, 1, 31))

    data = json.loads(run(cli, "--json").output)
    assert data["round"]["id"] == needs_round.id and data["respondents"] == 2
    marc = data["competencies"][0]
    # D = 4 + 0, mean I = 4, n 2 -> MWDS 8
    assert marc["id"] == "cat-marc" and marc["self"]["mwds"] == pytest.approx(8.0)
    assert marc["priority"] == pytest.approx(0.4)

    scoped = json.loads(run(cli, "--json", "--unit", "branch-a").output)
    assert scoped["respondents"] == 1 and scoped["competencies"][0]["self"]["mwds"] == pytest.approx(20.0)

    chosen = json.loads(run(cli, "--json", "--round", str(older.id)).output)
    assert chosen["round"]["title"] == "Lama" and chosen["empty"] is True
