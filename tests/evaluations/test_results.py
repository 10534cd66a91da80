"""What the evaluations show: the person's profile (the self-report only to the person),
group application rates hidden under the minimum group size, the transfer gap with its
barriers, exports equal to the screen, the content-gap signal, the practice recommendation,
the CLI report, and the personal-data download and erasure."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from lms.extensions import db
from lms.plugins.evaluations import loop, results, services
from lms.plugins.evaluations.models import EvaluationResponse, EvaluationWindow
from tests.evaluations.conftest import client_of, complete, good_ratings, module


def _evaluated(world, move_to, ani=(1, 2, 1), bob=(4, 4, 3), self_ani=(3, 3, 3)):
    """ani and bob completed MARC; 90 days on, citra observed ani, dedi observed bob."""
    complete(world["ani"], "marc")
    complete(world["bob"], "marc")
    services.open_windows(move_to(90))
    windows = {w.user_id: w for w in db.session.scalars(select(EvaluationWindow))}
    services.submit_self(world["ani"], windows[world["ani"].id], {**good_ratings(self_ani), "example": "Contoh ani"},
                         ["workload", "tools"])
    services.submit_self(world["bob"], windows[world["bob"].id], good_ratings((4, 4, 4)), ["workload"])
    services.submit_observation(world["citra"], windows[world["ani"].id], good_ratings(ani))
    services.submit_observation(world["dedi"], windows[world["bob"].id], good_ratings(bob))
    return windows


def test_the_profile_shows_observed_application_and_the_self_report_only_to_ani(app, world, move_to):
    _evaluated(world, move_to)
    ani = client_of(app, "ani")
    page = ani.get(f"/reports/people/{world['ani'].id}").get_data(as_text=True)
    row = page.split('data-competency="cat-marc"', 1)[1].split("</tr>", 1)[0]
    assert 'data-col="applied">1,3<' in row  # (1 + 2 + 1) / 3 in Indonesian figures
    assert 'data-col="self-applied">3<' in row
    citra = client_of(app, "citra")
    page = citra.get(f"/reports/people/{world['ani'].id}").get_data(as_text=True)
    row = page.split('data-competency="cat-marc"', 1)[1].split("</tr>", 1)[0]
    assert 'data-col="applied">1,3<' in row and "self-applied" not in page


def test_group_rates_are_hidden_under_the_minimum_group(app, world, move_to):
    _evaluated(world, move_to)
    rows = results.by_competency(None, by_unit=True)
    assert [(r.unit_name, r.observed, r.hidden, r.rate) for r in rows] == [
        ("Cabang B", 1, True, None), ("Seksi A1", 1, True, None)]
    app.config["NEEDS_MIN_GROUP"] = 1
    rows = results.by_competency(None, by_unit=True)
    assert [(r.unit_name, r.applied, r.rate) for r in rows] == [("Cabang B", 1, 1.0), ("Seksi A1", 0, 0.0)]
    # a supervisor sees only the units below them
    assert [r.unit_name for r in results.by_competency(world["citra"], by_unit=True)] == ["Seksi A1"]


def test_the_transfer_gap_names_the_barriers(app, world, move_to):
    app.config["NEEDS_MIN_GROUP"] = 2
    _evaluated(world, move_to)
    [row] = results.transfer_gap(None)
    # two passed and were observed; ani's mean 4/3 is below "often": gap 1 of 2
    assert (row.competency_id, row.completed_observed, row.completed_not_applied, row.gap) == ("cat-marc", 2, 1, 0.5)
    assert row.top_barriers() == [("workload", 2), ("tools", 1)]
    # the screen and its CSV hold the same cells
    trainer = client_of(app, "tari")
    page = trainer.get("/evaluations/results").get_data(as_text=True)
    exported = trainer.get("/evaluations/results.csv?table=transfer-gap")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[1][:4] == [rows[1][0], "2", "1", "50"]
    for cell in rows[1]:
        assert cell.replace("'", "&#39;").replace('"', "&#34;") in page or cell in page
    assert trainer.get("/evaluations/results.xlsx").status_code == 200
    # fewer observed than the minimum: the counts are not shown
    app.config["NEEDS_MIN_GROUP"] = 3
    [row] = results.transfer_gap(None)
    assert row.hidden and row.gap is None and row.top_barriers() == []


def test_the_content_gap_signal_flags_a_module_passed_but_not_applied(app, world, move_to):
    app.config["NEEDS_MIN_GROUP"] = 2
    _evaluated(world, move_to, bob=(2, 2, 2))
    marc = module("marc").id
    signal = loop.content_signals([marc])[marc]
    assert (signal["value"], signal["concern"]) == ("0/2", True)
    app.config["NEEDS_MIN_GROUP"] = 3
    assert loop.content_signals([marc]) == {}


def test_the_path_proposes_practice_not_a_retake(app, world, move_to):
    _evaluated(world, move_to)
    found = loop.practice_recommendations(world["ani"])
    assert len(found) == 1 and found[0].url == "/evaluations/"
    assert "Mengisi indikator 245" in found[0].reason or "Sets the 245 indicators" in found[0].reason
    assert loop.practice_recommendations(world["bob"]) == []  # bob applies it (mean 11/3)


def test_the_cli_report_prints_json(app, world, runner, move_to):
    app.config["NEEDS_MIN_GROUP"] = 2
    _evaluated(world, move_to)
    result = runner.invoke(args=["evaluations", "report", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["competencies"] == [{"competency": "cat-marc", "observed": 2, "hidden": False, "applied": 1,
                                     "rate": 0.5, "passed_observed": 2, "passed_not_applied": 1, "gap": 0.5,
                                     "barriers": {"workload": 2, "tools": 1}}]


def test_the_download_holds_the_evaluations_and_erasure_replaces_the_text(app, world, move_to):
    windows = _evaluated(world, move_to)
    from lms.plugins.evaluations import privacy

    [item] = privacy.personal_data(world["ani"])
    rows = list(item.rows())
    assert {(r["kind"], r["frequency"]) for r in rows} >= {("self", 3), ("supervisor", 1), ("supervisor", 2)}
    assert any(r["example"] == "Contoh ani" for r in rows)
    outcome = privacy.erase(world["ani"], None, "[dihapus]")
    db.session.commit()
    assert outcome["counts"]["evaluation_texts"] == 1
    saved = db.session.scalar(select(EvaluationResponse).where(EvaluationResponse.window_id == windows[world["ani"].id].id,
                                                                EvaluationResponse.kind == "self"))
    assert saved.example == "[dihapus]" and len(saved.ratings) == 3


def test_the_gap_is_hidden_when_few_passed_even_if_many_were_observed(app, world, make_user, move_to):
    """Three observed (one through a group window, never trained) but two who passed: with
    NEEDS_MIN_GROUP 3 the rate shows, the gap - about the two - does not."""
    _evaluated(world, move_to)
    cici = make_user("cici", unit=world["org"]["section_a1"], full_name="Cici Amelia")
    admin = make_user("adi", roles=("admin",), unit=world["org"]["library"])
    today = services.today()
    services.open_group(admin, [world["org"]["section_a1"].id], "cat-marc", today, today)
    window = db.session.scalar(select(EvaluationWindow).where(EvaluationWindow.user_id == cici.id))
    services.submit_observation(world["citra"], window, good_ratings((4, 4, 4)))
    app.config["NEEDS_MIN_GROUP"] = 3
    [row] = results.by_competency(None)
    assert (row.observed, row.applied, row.hidden, row.completed_observed) == (3, 2, False, 2)
    assert row.gap_hidden and row.gap is None
    trainer = client_of(app, "tari")
    exported = trainer.get("/evaluations/results.csv?table=transfer-gap")
    cells = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))[1]
    assert cells[2] != "1" and cells[3] not in ("50", "100")
