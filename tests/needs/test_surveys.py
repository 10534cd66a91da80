"""Survey instrument files: checking, importing (all or nothing, idempotent, updates by key)
and the ``lms needs surveys`` commands."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.courses.framework import load_framework
from lms.plugins.courses.models import Competency
from lms.plugins.needs.models import NeedsRound, PatronAnswer, PatronImport, PatronResponse, Survey, SurveyItem
from lms.plugins.needs.answer_scales import READY
from lms.plugins.needs.surveys import SurveyError, check_surveys, import_surveys
from tests.needs.conftest import SURVEY_FIXTURES

REPO = Path(__file__).resolve().parents[2]
BAD = SURVEY_FIXTURES / "bad"


@pytest.fixture
def app(english_app):
    """Messages in English: these tests pin the source wording."""
    return english_app


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def items_of(slug: str) -> list[tuple[str, str, str, str]]:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    return [(i.key, i.text_id, i.text_en, i.competency_id) for i in survey.items]


def test_good_instruments_are_loaded_with_one_item_per_competency(imported, survey_root):
    summary = import_surveys(survey_root, actor_id=None)
    assert sorted(summary.created) == ["atasan", "diri", "pemustaka"]
    # "all": every competency of the sample framework, in framework order, named after it.
    assert items_of("diri") == [
        ("cat-marc", "Format MARC 21", "MARC 21 format", "cat-marc"),
        ("cat-classification", "Klasifikasi DDC", "DDC classification", "cat-classification"),
        ("cs-reference-interview", "Wawancara referensi", "Reference interview", "cs-reference-interview"),
    ]
    assert [key for key, *_ in items_of("atasan")] == ["cat-marc", "cs-reference-interview"]
    patron = db.session.scalar(select(Survey).where(Survey.slug == "pemustaka"))
    assert patron.kind == "patron" and patron.title_id == "Kepuasan Pemustaka" and patron.title_en == "Patron satisfaction"
    # No `scale:` in the file: the agree scale, resolved into the settings an import reads.
    assert patron.settings == {"ignore_columns": ["Alamat email", "Email address", "Nama", "Email", "Name", "ID"],
                               "unit_column": "Lokasi layanan", "scale": "setuju-5", "item_scales": {},
                               "scales": {"setuju-5": READY["setuju-5"].to_settings()}}
    assert [(i.key, i.competency_id) for i in patron.items] == [
        ("p-find", "cs-reference-interview"), ("p-shelf", "cat-classification"), ("p-record", "cat-marc")]
    diri = db.session.scalar(select(Survey).where(Survey.slug == "diri"))
    assert diri.intro_id.startswith("Seberapa penting") and len(diri.source_hash) == 64
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "needs.surveys_imported"))
    assert sorted(entry.details["created"]) == ["atasan", "diri", "pemustaka"]


def test_a_second_import_of_unchanged_files_changes_nothing(imported, survey_root):
    import_surveys(survey_root)
    stamps = {s.slug: (s.updated_at, s.source_hash) for s in db.session.scalars(select(Survey))}
    audits = count(AuditEntry)
    summary = import_surveys(survey_root)
    assert sorted(summary.unchanged) == ["atasan", "diri", "pemustaka"]
    assert summary.created == [] and summary.updated == []
    assert {s.slug: (s.updated_at, s.source_hash) for s in db.session.scalars(select(Survey))} == stamps
    assert count(AuditEntry) == audits


def test_changed_texts_update_items_by_key_and_new_items_are_added(imported, survey_root):
    import_surveys(survey_root)
    ids = {i.key: i.id for i in db.session.scalars(select(SurveyItem))
           if i.survey.slug == "pemustaka"}
    path = survey_root / "pemustaka.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Petugas membantu saya menemukan yang saya cari", "Petugas sangat membantu").replace(
        "ignore_columns:", "  - id: p-new\n    text: {id: Butir baru}\n    competency: cat-marc\nignore_columns:"),
        encoding="utf-8")
    summary = import_surveys(survey_root)
    assert summary.updated == ["pemustaka"] and sorted(summary.unchanged) == ["atasan", "diri"]
    assert items_of("pemustaka")[0] == ("p-find", "Petugas sangat membantu", "Staff helped me find what I needed",
                                        "cs-reference-interview")
    assert items_of("pemustaka")[3] == ("p-new", "Butir baru", "Butir baru", "cat-marc")
    after = {i.key: i.id for i in db.session.scalars(select(SurveyItem)) if i.survey.slug == "pemustaka"}
    assert {k: after[k] for k in ids} == ids  # same rows, so earlier answers keep pointing at them


def _drop_item(path: Path, key: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(n for n, line in enumerate(lines) if line.strip() == f"- id: {key}")
    del lines[start:start + 3]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_an_item_without_answers_may_be_removed(imported, survey_root):
    import_surveys(survey_root)
    _drop_item(survey_root / "pemustaka.yml", "p-record")
    import_surveys(survey_root)
    assert [key for key, *_ in items_of("pemustaka")] == ["p-find", "p-shelf"]


def test_an_item_with_answers_cannot_be_removed_and_nothing_changes(imported, survey_root, patron_round):
    survey = db.session.scalar(select(Survey).where(Survey.slug == "pemustaka"))
    record = survey.items[2]
    batch = PatronImport(round_id=patron_round.id, survey_id=survey.id, filename="a.csv", sha256="0" * 64, rows=1)
    db.session.add(batch)
    db.session.flush()
    response = PatronResponse(import_id=batch.id, round_id=patron_round.id, line=2, row_hash="1" * 64)
    db.session.add(response)
    db.session.flush()
    db.session.add(PatronAnswer(response_id=response.id, item_id=record.id, round_id=patron_round.id,
                                competency_id="cat-marc", value=4))
    db.session.commit()
    # Two changes in one run: a new title elsewhere and the removal; neither is applied.
    (survey_root / "diri.yml").write_text((survey_root / "diri.yml").read_text(encoding="utf-8")
                                          .replace("Penilaian Diri", "Judul Baru"), encoding="utf-8")
    _drop_item(survey_root / "pemustaka.yml", "p-record")
    with pytest.raises(SurveyError) as error:
        import_surveys(survey_root)
    assert error.value.problems == [
        f"{survey_root / 'pemustaka.yml'}:1: item 'p-record' already has answers and cannot be removed; "
        "keep it in the file"]
    db.session.expire_all()
    assert [key for key, *_ in items_of("pemustaka")] == ["p-find", "p-shelf", "p-record"]
    assert db.session.scalar(select(Survey.title_id).where(Survey.slug == "diri")) == "Penilaian Diri"


def test_the_kind_of_a_survey_in_use_cannot_change(imported, survey_root, patron_round):
    path = survey_root / "atasan.yml"
    db.session.add(NeedsRound(title="R", opens_on=patron_round.opens_on, closes_on=patron_round.closes_on,
                              supervisor_survey_id=db.session.scalar(select(Survey.id).where(Survey.slug == "atasan"))))
    db.session.commit()
    path.write_text(path.read_text(encoding="utf-8").replace("kind: supervisor", "kind: self"), encoding="utf-8")
    with pytest.raises(SurveyError) as error:
        import_surveys(survey_root)
    assert error.value.problems == [
        f"{path}:1: the kind cannot change from supervisor to self: a round uses this survey"]
    assert db.session.scalar(select(Survey.kind).where(Survey.slug == "atasan")) == "supervisor"


def test_every_problem_of_the_bad_files_is_reported_at_once_with_its_line(imported):
    _sources, problems = check_surveys(BAD)
    assert problems == [
        f"{BAD / 'Bad_Slug.yml'}:1: the file name 'Bad_Slug' is not a valid survey slug: use lowercase letters, "
        "digits and hyphens",
        f"{BAD / 'duplicate-items.yml'}:7: item id 'p-find' is used twice",
        f"{BAD / 'no-competency.yml'}:7: item 'p-shelf' needs a `competency:`",
        f"{BAD / 'no-title.yml'}:3: title needs Indonesian text (`id:`), optionally English (`en:`)",
        f"{BAD / 'patron-no-items.yml'}:1: a patron survey needs a list of `items:`",
        f"{BAD / 'self-with-items.yml'}:4: `items` belongs to patron surveys; a self survey lists `competencies:`",
        f"{BAD / 'unknown-competency.yml'}:5: unknown competency 'cat-nonexistent'",
        f"{BAD / 'unknown-kind.yml'}:2: unknown kind 'quiz': use self, supervisor or patron",
    ]


def test_importing_bad_files_changes_nothing(imported, survey_root):
    (survey_root / "extra.yml").write_text("kind: patron\ntitle: {id: X}\nitems:\n  - id: a\n    text: {id: A}\n"
                                           "    competency: nope\n", encoding="utf-8")
    with pytest.raises(SurveyError) as error:
        import_surveys(survey_root)
    assert error.value.problems == [f"{survey_root / 'extra.yml'}:6: unknown competency 'nope'"]
    assert count(Survey) == 0 and count(SurveyItem) == 0


def test_syntax_errors_and_missing_folders_are_reported(imported, tmp_path):
    (tmp_path / "broken.yml").write_text("kind: self\ntitle: [unclosed\n", encoding="utf-8")
    _sources, problems = check_surveys(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'broken.yml'}:3: invalid YAML")
    assert check_surveys(tmp_path / "missing")[1] == [f"{tmp_path / 'missing'}:1: no such folder"]


def test_all_needs_imported_competencies(app, survey_root):
    _sources, problems = check_surveys(survey_root)
    assert f"{survey_root / 'diri.yml'}:4: no competencies are imported yet; run `lms courses import` first" in problems


def test_the_real_instruments_match_the_real_competency_framework(app):
    framework_problems: list[str] = []
    framework = load_framework(REPO / "courses", framework_problems)
    assert framework_problems == []
    for position, (cid, data) in enumerate(framework.competencies.items()):
        db.session.add(Competency(id=cid, area=data["area"], area_name_id="a", area_name_en="a",
                                  name_id=data["name"]["id"], name_en=data["name"]["en"], position=position))
    db.session.commit()
    summary = import_surveys(REPO / "courses" / "surveys")
    assert sorted(summary.created) == ["kepuasan-pemustaka", "penilaian-atasan", "penilaian-diri"]
    surveys = {s.slug: s for s in db.session.scalars(select(Survey))}
    assert len(surveys["penilaian-diri"].items) == len(framework.competencies) == 15
    assert "seberapa penting bagi pekerjaan saya" in surveys["penilaian-diri"].intro_id.lower()
    assert "seberapa mampu saya sekarang" in surveys["penilaian-diri"].intro_id.lower()
    assert surveys["penilaian-atasan"].kind == "supervisor"
    patron = surveys["kepuasan-pemustaka"]
    assert 10 <= len(patron.items) <= 12
    assert {"cs-reference-interview", "dig-opac-mobile", "dig-social-media", "dig-website", "cs-complaints",
            "cs-inclusive", "cat-classification"} <= {i.competency_id for i in patron.items}
    assert patron.settings["unit_column"] == "Lokasi layanan"
    assert {"Alamat email", "Email address"} <= set(patron.settings["ignore_columns"])


# --- CLI ------------------------------------------------------------------------------------

def test_cli_check_reports_problems_on_stderr_and_exits_1(runner, imported):
    result = runner.invoke(args=["needs", "surveys", "check", str(BAD)])
    assert result.exit_code == 1
    assert f"{BAD / 'unknown-kind.yml'}:2: unknown kind 'quiz'" in result.stderr
    assert "8 problem(s) found" in result.stderr
    assert result.stdout == ""


def test_cli_import_list_and_default_directory(app, runner, imported, survey_root):
    app.config["NEEDS_SURVEYS_DIR"] = str(survey_root)
    result = runner.invoke(args=["needs", "surveys", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "OK: 3 survey(s)"
    result = runner.invoke(args=["needs", "surveys", "import"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Surveys: 3 new, 0 updated, 0 unchanged."
    assert count(Survey) == 3
    result = runner.invoke(args=["needs", "surveys", "import", str(survey_root)])
    assert result.stdout.strip() == "Surveys: 0 new, 0 updated, 3 unchanged."
    listing = runner.invoke(args=["needs", "surveys", "list"]).stdout.splitlines()
    assert listing[1:] == [f"{'pemustaka':28} {'patron':10} {3:>5}  Kepuasan Pemustaka",
                           f"{'diri':28} {'self':10} {3:>5}  Penilaian Diri",
                           f"{'atasan':28} {'supervisor':10} {2:>5}  Penilaian Atasan"]


def test_cli_import_of_bad_files_exits_1_and_imports_nothing(runner, imported):
    result = runner.invoke(args=["needs", "surveys", "import", str(BAD)])
    assert result.exit_code == 1
    assert "8 problem(s); nothing was imported" in result.stderr
    assert count(Survey) == 0


def test_a_competency_with_staff_answers_cannot_leave_a_self_survey(imported, survey_root, patron_round, make_user):
    from lms.plugins.needs.models import StaffAnswer, StaffResponse

    diri = db.session.scalar(select(Survey).where(Survey.slug == "diri"))
    ani = make_user("ani")
    response = StaffResponse(round_id=patron_round.id, survey_id=diri.id, kind="self", subject_id=ani.id,
                             rater_id=ani.id)
    response.answers.append(StaffAnswer(competency_id="cat-marc", importance=5, ability=2))
    db.session.add(response)
    db.session.commit()
    path = survey_root / "diri.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "competencies: all", "competencies: [cat-classification, cs-reference-interview]"), encoding="utf-8")
    with pytest.raises(SurveyError) as error:
        import_surveys(survey_root)
    assert error.value.problems == [
        f"{path}:1: item 'cat-marc' already has answers and cannot be removed; keep it in the file"]
    # Without answers the same change goes through.
    db.session.delete(response)
    db.session.commit()
    import_surveys(survey_root)
    assert [key for key, *_ in items_of("diri")] == ["cat-classification", "cs-reference-interview"]
