"""Proposals: which competencies and modules, for whom, by when; one draft at a time; diff."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.curriculum import proposals, services
from lms.plugins.curriculum.models import (ACTIVE, ALL, DISCARDED, DRAFT, POSITION, UNIT, CurriculumItem,
                                           CurriculumVersion)
from lms.plugins.curriculum.services import CurriculumError
from tests.curriculum.conftest import module


def score(cid, priority, rank):
    return SimpleNamespace(competency_id=cid, priority=priority, rank=rank, needs={"self": priority})


def test_select_competencies_threshold_or_top_five_at_most_eight():
    few_above = [score(f"c{n}", p, n) for n, p in enumerate([0.6, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01], start=1)]
    assert [s.competency_id for s in proposals.select_competencies(few_above, 0.35)] == ["c1", "c2", "c3", "c4", "c5"]
    many_above = [score(f"c{n}", 0.9 - n * 0.05, n) for n in range(1, 11)]  # 0.85 ... 0.40
    assert len(proposals.select_competencies(many_above, 0.35)) == 8
    seven_above = [score(f"c{n}", 0.9 - n * 0.05, n) for n in range(1, 8)] + [score("low", 0.1, 8)]
    assert len(proposals.select_competencies(seven_above, 0.35)) == 7
    no_data = [score("a", None, None), score("b", 0.0, 1)]
    assert proposals.select_competencies(no_data, 0.35) == []


def test_due_dates_two_per_step():
    start = date(2026, 1, 1)
    assert proposals.due_dates(5, start, 30) == [date(2026, 1, 31), date(2026, 1, 31), date(2026, 3, 2),
                                                 date(2026, 3, 2), date(2026, 4, 1)]


def test_propose_items_reasons_and_due_dates(app, evidence):
    version = proposals.propose(actor_id=evidence["ani"].id)
    assert version.status == DRAFT and version.round_id == evidence["round"].id and version.base_version_id is None
    today = local_today()
    # Chosen: cat-classification 0.5625 (#1), cs-reference-interview 0.35 (#2, no module), cat-marc 0.30 (#3).
    rows = [(i.position, i.module.slug, i.audience, i.competency_id, i.due_on) for i in version.items]
    assert rows == [(1, "ddc", ALL, "cat-classification", today + timedelta(days=30)),
                    (2, "marc", ALL, "cat-marc", today + timedelta(days=30))]
    first = version.items[0].reason
    assert first["competency"] == "cat-classification" and first["rank"] == 1
    assert first["priority"] == pytest.approx(0.5625)
    assert first["sources"] == {"self": pytest.approx(0.5625)}
    assert first["round_title"] == "Putaran 2026"
    with force_locale("en"):
        text = proposals.item_reason(first, proposals.competency_names("en"))
    assert text == "DDC classification: priority #1 (0.56) in Putaran 2026; needs by source: self-assessment 0.56"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "curriculum.proposed")) is not None


def test_unit_items_when_only_a_unit_needs_it(app, evidence):
    # With groups of one allowed, branch-a (ani alone) ranks cat-marc 15 / 20 = 0.75 >= 0.35
    # while the organisation has it at 0.30; branch-b (bob) has no need for it.
    app.config["NEEDS_MIN_GROUP"] = 1
    version = proposals.propose()
    rows = [(i.module.slug, i.audience, i.unit_id) for i in version.items]
    assert rows == [("ddc", ALL, None), ("marc", UNIT, evidence["ani"].unit_id)]
    assert version.items[1].reason["unit_priority"] == pytest.approx(0.75)


def test_position_items_for_positions_with_a_target(app, evidence, make_user, org):
    # cat-marc gets a target for ani's position; among its holders (ani alone) the priority
    # is 0.75, so besides branch-a's unit item the position gets its own.
    from lms.plugins.courses.models import Competency

    db.session.get(Competency, "cat-marc").targets = {"Pustakawan Ahli Pertama": 3}
    db.session.commit()
    app.config["NEEDS_MIN_GROUP"] = 1
    version = proposals.propose()
    rows = [(i.module.slug, i.audience, i.unit_id, i.position_name) for i in version.items]
    assert rows == [("ddc", ALL, None, None), ("marc", UNIT, evidence["ani"].unit_id, None),
                    ("marc", POSITION, None, "Pustakawan Ahli Pertama")]
    with force_locale("en"):
        text = proposals.item_reason(version.items[2].reason, proposals.competency_names("en"))
        label = proposals.audience_label(version.items[2])
    assert text.startswith("MARC 21 format: priority 0.75 for this position (organisation #3, 0.30)")
    assert label == "Position: Pustakawan Ahli Pertama"
    trainer = make_user("tina", roles=("trainer",), unit=org["library"])
    services.approve(version, trainer)
    from lms.plugins.learning.models import Assignment

    # A position item reaches the position's holders in this library one by one: an
    # assignment to the position itself would reach every library's holders.
    targets = sorted((a.unit_id or 0, a.user_id or 0) for a in db.session.scalars(select(Assignment)))
    assert targets == sorted([(org["library"].id, 0), (evidence["ani"].unit_id, 0), (0, evidence["ani"].id)])


def test_a_new_proposal_discards_the_old_draft(app, evidence):
    first = proposals.propose()
    second = proposals.propose()
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, first.id).status == DISCARDED
    assert second.status == DRAFT and second.number == first.number + 1
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "curriculum.discarded",
                                                      AuditEntry.target_id == str(first.id))) is not None


def test_no_closed_round_or_no_responses_is_refused(app, org, make_round):
    with force_locale("en"):
        with pytest.raises(CurriculumError, match="No needs round has closed yet"):
            proposals.propose()
        make_round(title="Kosong")
        with pytest.raises(CurriculumError, match="Kosong has no responses"):
            proposals.propose()
    assert db.session.scalar(select(CurriculumVersion)) is None


def _active(items) -> CurriculumVersion:
    version = CurriculumVersion(number=services.next_number(), status=ACTIVE)
    for position, (slug, audience, unit_id, due, competency) in enumerate(items, start=1):
        version.items.append(CurriculumItem(module_id=module(slug).id, position=position, audience=audience,
                                            unit_id=unit_id, due_on=due, competency_id=competency,
                                            reason={"manual": True}))
    db.session.add(version)
    db.session.commit()
    return version


def test_diff_against_a_hand_made_active_version(app, evidence, org):
    today = local_today()
    due = today + timedelta(days=30)
    active = _active([("marc", ALL, None, due, None),
                      ("ddc", UNIT, org["branch_b"].id, today, "cat-classification")])
    draft = proposals.propose()
    assert draft.base_version_id == active.id
    with force_locale("en"):
        changes = proposals.diff(draft, active, "en")
    summary = [(c.kind, c.module.slug, c.audience) for c in changes]
    # ddc for everyone is new; ddc for branch-b is gone; marc keeps its place and its date.
    assert summary == [("added", "ddc", ALL), ("removed", "ddc", UNIT)]
    assert changes[0].reason.startswith("DDC classification: priority #1 (0.56) in Putaran 2026")
    assert changes[1].reason == ("No longer a priority in Putaran 2026: DDC classification priority is now "
                                 "0.56 (#1).")


def item(module_id, position, due=None, competency=None, audience=ALL):
    return SimpleNamespace(module_id=module_id, module=None, position=position, audience=audience, unit_id=None,
                           position_name=None, due_on=due, competency_id=competency, reason={"manual": True})


def test_compare_added_removed_reordered_and_due(app):
    day = date(2026, 3, 1)
    active = [item(1, 1, day), item(2, 2, day, "gone"), item(3, 3, day)]
    draft = [item(3, 1, day), item(1, 2, day + timedelta(days=30)), item(4, 3, day)]
    with force_locale("en"):
        changes = proposals.compare(draft, active, priorities={"gone": (0.12, 7)}, round_title="R2",
                                    names={"gone": "Old skill"})
    summary = sorted((c.kind, c.key[0]) for c in changes)
    assert summary == [("added", 4), ("due", 1), ("removed", 2), ("reordered", 1), ("reordered", 3)]
    removed = next(c for c in changes if c.kind == "removed")
    assert removed.reason == "No longer a priority in R2: Old skill priority is now 0.12 (#7)."
    moved = next(c for c in changes if c.kind == "reordered" and c.key[0] == 3)
    assert moved.reason.startswith("Moved from place 3 to 1.")
    # An insertion alone reorders nothing.
    assert [c.kind for c in proposals.compare([item(9, 1), item(1, 2), item(3, 3)],
                                              [item(1, 1), item(3, 2)])] == ["added"]


def test_cli_propose_and_show(app, evidence, runner):
    result = runner.invoke(args=["curriculum", "propose"])
    assert result.exit_code == 0, result.output
    assert "Draft 1 proposed with 2 item(s)." in result.output
    assert "added     contoh/ddc" in result.output
    shown = runner.invoke(args=["curriculum", "show", "1"])
    assert shown.exit_code == 0 and "Curriculum 1: draft" in shown.output
    assert runner.invoke(args=["curriculum", "propose", "--round", "999"]).exit_code != 0
