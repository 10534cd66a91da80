"""Patron-survey CSV import: the service (every good and bad input), the command and the
upload page. The survey is ``pemustaka`` from tests/fixtures/surveys/good: items p-find
(cs-reference-interview), p-shelf (cat-classification) and p-record (cat-marc)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import UnitSupervisor
from lms.clock import aware, local_today
from lms.extensions import db
from lms.plugins.needs.models import NeedsRound, PatronAnswer, PatronImport, PatronResponse, SurveyItem
from lms.plugins.needs.patron import PatronImportError, import_patron_csv
from lms.plugins.needs.patron_files import read_dates
from tests.conftest import csrf_token

CSV = Path(__file__).resolve().parent.parent / "fixtures" / "patron_csv"
HEADER = "Stempel waktu,Lokasi layanan,p-find,p-shelf,p-record\n"
UPLOAD = "/needs/patron/"
ALLOWED = ("(allowed: 1 Sangat tidak setuju (STS, SD), 2 Tidak setuju (TS, D), 3 Netral (N, R), 4 Setuju (S, A), "
           "5 Sangat setuju (SS, SA); not applicable: Tidak berlaku, Not applicable, N/A)")


@pytest.fixture
def app(english_app):
    """Messages in English: these tests pin the source wording."""
    return english_app


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (PatronImport, PatronResponse, PatronAnswer, AuditEntry))


def stored(record: PatronImport) -> list[tuple[int, datetime | None, int | None, dict[str, int]]]:
    """(line, submitted_at in UTC, unit id, {item key: value}) of each response, by line."""
    keys = dict(db.session.execute(select(SurveyItem.id, SurveyItem.key)).all())
    result = []
    for response in db.session.scalars(select(PatronResponse).where(PatronResponse.import_id == record.id)
                                       .order_by(PatronResponse.line)):
        answers = {keys[a.item_id]: a.value for a in db.session.scalars(
            select(PatronAnswer).where(PatronAnswer.response_id == response.id))}
        result.append((response.line, aware(response.submitted_at), response.unit_id, answers))
    return result


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def refused(data: bytes, slug: str = "pemustaka", filename: str = "x.csv", **options) -> list[str]:
    """The problems of a refused import, after checking that nothing was written."""
    before = counts()
    with pytest.raises(PatronImportError) as error:
        import_patron_csv(data, filename, slug, **options)
    db.session.rollback()
    assert counts() == before
    return error.value.problems


# --- good files ------------------------------------------------------------------------------

def test_google_forms_export_with_indonesian_labels_and_unit_names(org, patron_round):
    data = (CSV / "google-forms-id.csv").read_bytes()
    record = import_patron_csv(data, "google-forms-id.csv", "pemustaka", imported_by_id=None).record
    a, b = org["branch_a"].id, org["branch_b"].id
    # GMT+7 times are 7 hours ahead of UTC; "Koleksi ... di rak?" matches despite the "?".
    assert stored(record) == [
        (2, utc(2026, 3, 14, 2, 5, 12), a, {"p-find": 5, "p-shelf": 4, "p-record": 3}),
        (3, utc(2026, 3, 14, 6, 30), b, {"p-find": 1, "p-shelf": 2}),  # blank cell: not answered
        (4, utc(2026, 3, 15, 3, 0), a, {"p-find": 3, "p-shelf": 3, "p-record": 4}),
    ]
    assert (record.rows, record.round_id, record.unit_id, record.filename) == (3, patron_round.id, None,
                                                                              "google-forms-id.csv")
    # Each answer carries its round, competency and unit for the analysis.
    means = dict(db.session.execute(select(PatronAnswer.competency_id, func.avg(PatronAnswer.value))
                                    .group_by(PatronAnswer.competency_id)).all())
    assert means == {"cs-reference-interview": 3.0, "cat-classification": 3.0, "cat-marc": 3.5}
    assert {(x.round_id, x.unit_id) for x in db.session.scalars(select(PatronAnswer))} == {(patron_round.id, a),
                                                                                           (patron_round.id, b)}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "needs.patron_imported"))
    assert entry.target_id == str(record.id)
    assert entry.details == {"survey": "pemustaka", "round_id": patron_round.id, "filename": "google-forms-id.csv",
                             "rows": 3, "unit": None}


def test_semicolons_bom_numbers_keys_and_a_multi_line_field(org, patron_round):
    data = (CSV / "excel-semicolon.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    record = import_patron_csv(data, "excel.csv", "pemustaka", unit_code="section-a1").record
    s = org["section_a1"].id
    # Naive DD/MM/YYYY times are Asia/Jakarta (UTC+7); the quoted "Budi; pelajar\nSMA 1" spans
    # lines 2-3, so the next response starts on line 4.
    assert stored(record) == [
        (2, utc(2026, 3, 14, 2, 5), s, {"p-find": 4, "p-shelf": 5, "p-record": 3}),
        (4, utc(2026, 3, 15, 3, 0), s, {"p-find": 2, "p-record": 1}),
    ]
    assert record.unit_id == s


def test_microsoft_forms_export_in_english(patron_round):
    record = import_patron_csv((CSV / "ms-forms-en.csv").read_bytes(), "ms.csv", "pemustaka").record
    # The completion time is the response date (not the start time before it).
    assert stored(record) == [
        (2, utc(2026, 3, 14, 2, 7), None, {"p-find": 5, "p-shelf": 3, "p-record": 2}),
        (3, utc(2026, 3, 14, 7, 12), None, {"p-find": 4, "p-shelf": 3, "p-record": 1}),
    ]


def test_identical_rows_without_a_timestamp_are_separate_responses(patron_round):
    data = b"p-find,p-shelf\n4,5\n4,5\n"
    record = import_patron_csv(data, "a.csv", "pemustaka").record
    assert [(line, answers) for line, _when, _unit, answers in stored(record)] == [
        (2, {"p-find": 4, "p-shelf": 5}), (3, {"p-find": 4, "p-shelf": 5})]


def test_the_open_round_is_preferred_to_a_closed_one(loaded_surveys, patron_round):
    today = local_today()
    open_round = NeedsRound(title="Terbuka", opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=3),
                            patron_survey_id=loaded_surveys["pemustaka"].id)
    db.session.add(open_round)
    db.session.commit()
    assert import_patron_csv(b"p-find\n4\n", "a.csv", "pemustaka").record.round_id == open_round.id
    assert import_patron_csv(b"p-find\n5\n", "b.csv", "pemustaka", round_id=patron_round.id).record.round_id == patron_round.id


@pytest.mark.parametrize("value, expected", [
    ("2026-03-14T09:05:12+07:00", utc(2026, 3, 14, 2, 5, 12)),
    ("2026-03-14 09:05:12", utc(2026, 3, 14, 2, 5, 12)),  # naive: the library's zone
    ("2026-03-14T02:05:12Z", utc(2026, 3, 14, 2, 5, 12)),
    ("2026-11-03T14:05:33.000+07:00", utc(2026, 11, 3, 7, 5, 33)),  # KoboToolbox
    ("2026/03/14 09:05:12", utc(2026, 3, 14, 2, 5, 12)),
    ("2026/03/14 09:05:12 GMT+7", utc(2026, 3, 14, 2, 5, 12)),
    ("2026/03/14 09:05:12 GMT+07:00", utc(2026, 3, 14, 2, 5, 12)),
    ("2026/03/14 9:05:12 PM GMT+8", utc(2026, 3, 14, 13, 5, 12)),
    ("14/03/2026 09.05.12", utc(2026, 3, 14, 2, 5, 12)),  # a first part over 12: day first
    ("3/14/2026 9:05:12 AM", utc(2026, 3, 14, 2, 5, 12)),  # a second part over 12: month first
    ("12/31/2026 11:00:00 PM", utc(2026, 12, 31, 16, 0)),
    ("3/3/2026 14:05:33", utc(2026, 3, 3, 7, 5, 33)),  # the same either way
])
def test_timestamp_formats(app, value, expected):
    dates, problems = read_dates([(2, value)], "Waktu", None)
    assert problems == [] and dates.times == {2: expected}


# --- bad files: every problem, nothing written --------------------------------------------------

def test_a_value_out_of_range_and_an_unknown_label_are_reported_together(org, patron_round):
    data = (HEADER + "2026-03-14 09:00,branch-a,7,4,4\n"
                     "2026-03-14 09:01,branch-a,4,Mungkin,4\n"
                     "2026-03-14 09:02,Cabang Z,4,4,0\n").encode()
    assert refused(data) == [
        'line 2: column "p-find": "7" is not on the scale setuju-5 ' + ALLOWED,
        'line 3: column "p-shelf": "Mungkin" is not on the scale setuju-5 ' + ALLOWED,
        'line 4: column "p-record": "0" is not on the scale setuju-5 ' + ALLOWED,
        "line 4: unknown unit 'Cabang Z' (use its code or its exact name)",
    ]


def test_an_unmapped_column_is_named_with_the_survey_and_rows_are_still_checked(patron_round):
    assert refused(b"Stempel waktu,Umur,p-find\n2026-03-14 09:00,30,4\n2026-03-14 09:01,31,6\n") == [
        "line 1: column 'Umur' matches no item of the survey 'pemustaka' (unmapped item); add it to "
        "`ignore_columns` if it is not a question",
        'line 3: column "p-find": "6" is not on the scale setuju-5 ' + ALLOWED]
    assert refused(b"Umur\n30\n") == [
        "line 1: column 'Umur' matches no item of the survey 'pemustaka' (unmapped item); add it to "
        "`ignore_columns` if it is not a question"]
    assert refused(b"Nama,Alamat email\nBudi,b@example.org\n") == [
        "line 1: no column matches an item of the survey 'pemustaka'"]


def test_an_empty_file_and_a_header_only_file_are_refused(patron_round):
    assert refused(b"") == ["line 1: the file is empty"]
    assert refused(b"\xef\xbb\xbf\n") == ["line 1: the file is empty"]
    assert refused(HEADER.encode()) == ["line 2: the file has a header line but no responses"]
    assert refused((HEADER + ",,,,\n").encode()) == ["line 2: the file has a header line but no responses"]


def test_a_latin1_file_is_refused_with_the_line_of_the_first_bad_byte(patron_round):
    data = (CSV / "latin1.csv").read_bytes()
    assert "ü".encode("latin-1") in data and "é".encode("latin-1") in data
    assert refused(data) == ['line 2: the file is not UTF-8 (byte 0xfc); save it as "CSV UTF-8" and try again']


def test_a_row_repeated_in_the_file_is_refused(patron_round):
    data = (HEADER + "2026-03-14 09:00,,4,4,4\n2026-03-14 09:01,,4,4,4\n2026-03-14 09:00,,4,4,4\n").encode()
    assert refused(data) == ["line 4: duplicate of line 2"]


def test_the_same_file_twice_is_refused(org, patron_round):
    data = (CSV / "google-forms-id.csv").read_bytes()
    first = import_patron_csv(data, "a.csv", "pemustaka").record
    problems = refused(data, filename="again.csv")
    assert len(problems) == 1
    assert problems[0].startswith("this file was already imported on ")
    assert problems[0].endswith(f" as 'a.csv' (import {first.id})")


def test_the_same_rows_in_another_file_are_refused(patron_round):
    import_patron_csv((HEADER + "2026-03-14 09:00,,4,4,4\n").encode(), "a.csv", "pemustaka")
    data = (HEADER + "2026-03-14 09:05,,5,5,5\n2026-03-14 09:00,,4,4,4\n").encode()
    assert refused(data, filename="b.csv") == ["line 3: this response was already imported (file a.csv)"]


def test_unknown_units_are_refused(org, patron_round):
    assert refused(b"p-find\n4\n", unit_code="nope") == ["unknown unit 'nope'"]


def test_without_a_round_for_the_survey_the_file_is_refused(loaded_surveys):
    assert refused(b"p-find\n4\n") == [
        "no round uses the patron survey 'pemustaka'; create a round with it first"]


def test_a_round_running_another_patron_survey_is_refused(loaded_surveys, patron_round):
    other = NeedsRound(title="Tanpa pemustaka", opens_on=patron_round.opens_on, closes_on=patron_round.closes_on)
    db.session.add(other)
    db.session.commit()
    assert refused(b"p-find\n4\n", round_id=other.id) == [
        "round 'Tanpa pemustaka' does not use the patron survey 'pemustaka'"]
    assert refused(b"p-find\n4\n", round_id=9999) == ["round 9999 does not exist"]


def test_a_survey_of_another_kind_or_an_unknown_one_is_refused(patron_round):
    assert refused(b"cat-marc\n4\n", slug="diri") == ["survey 'diri' is a self survey, not a patron survey"]
    assert refused(b"p-find\n4\n", slug="nope") == [
        "unknown survey 'nope' (load it with `lms needs surveys import`)"]


def test_a_row_without_answers_and_a_bad_timestamp_are_refused(patron_round):
    data = (HEADER + "2026-03-14 09:00,,,,\nkemarin,,4,4,4\n").encode()
    assert refused(data) == ["line 2: the response answers no item",
                             "line 3: the time 'kemarin' is not a date and time this import knows"]


def test_errors_after_a_multi_line_field_name_the_record_first_line(patron_round):
    data = 'Nama,p-find\n"Budi\nSMA 1",4\n"Siti",9\n'.encode()
    assert refused(data) == ['line 4: column "p-find": "9" is not on the scale setuju-5 ' + ALLOWED]


def test_a_file_the_csv_reader_cannot_read_is_refused(patron_round):
    data = b"Nama,p-find\nBudi,4\n" + b"x" * 140_000 + b",4\n"
    assert refused(data) == ["line 3: the file cannot be read as CSV (field larger than field limit (131072))"]


def test_a_file_over_the_size_limit_is_refused(app, patron_round):
    app.config["NEEDS_CSV_MAX_BYTES"] = 2048
    data = (HEADER + "2026-03-14 09:00,,4,4,4\n" * 100).encode()
    assert len(data) > 2048
    assert refused(data) == ["the file is larger than 2 KB"]


def test_a_supervisor_may_import_only_rows_of_their_units(org, patron_round):
    data = (HEADER + "2026-03-14 09:00,branch-a,4,4,4\n2026-03-14 09:01,branch-b,4,4,4\n"
                     "2026-03-14 09:02,,4,4,4\n").encode()
    allowed = {org["branch_a"].id, org["section_a1"].id}
    assert refused(data, allowed_unit_ids=allowed) == [
        "line 3: the response is not for one of your units", "line 4: the response is not for one of your units"]
    assert refused(b"p-find\n4\n", unit_code="branch-b", allowed_unit_ids=allowed) == [
        "the unit 'branch-b' is not one of your units"]


# --- command ---------------------------------------------------------------------------------

def test_cli_imports_a_file(runner, org, patron_round):
    path = CSV / "google-forms-id.csv"
    result = runner.invoke(args=["needs", "import-csv", str(path), "--survey", "pemustaka"])
    assert result.exit_code == 0, result.output
    record = db.session.scalar(select(PatronImport))
    assert result.stdout.splitlines() == [
        f"Imported 3 responses into round 'Putaran Uji' (import {record.id}).",
        "Personal-data columns not stored: Alamat email",
        "Response dates from column 'Stempel waktu'"]


def test_cli_lists_every_problem_with_the_file_name_and_exits_1(runner, tmp_path, org, patron_round):
    path = tmp_path / "bad.csv"
    path.write_bytes((HEADER + "2026-03-14 09:00,,7,4,4\n2026-03-14 09:01,,4,x,4\n").encode())
    before = counts()
    result = runner.invoke(args=["needs", "import-csv", str(path), "--survey", "pemustaka",
                                 "--round", str(patron_round.id), "--unit", "branch-a"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f'{path}: line 2: column "p-find": "7" is not on the scale setuju-5 ' + ALLOWED,
        f'{path}: line 3: column "p-shelf": "x" is not on the scale setuju-5 ' + ALLOWED]
    assert "2 problem(s); nothing was imported" in result.stderr
    assert counts() == before


# --- upload page ---------------------------------------------------------------------------------

def _english(client):
    client.user.locale = "en"
    db.session.commit()
    return client


def _upload(client, data: bytes, filename: str = "survey.csv", token: bool = True, **fields):
    form = {"survey_id": str(fields.pop("survey_id")), "round_id": str(fields.pop("round_id", "")),
            "unit_id": str(fields.pop("unit_id", "")), "file": (io.BytesIO(data), filename)}
    if token:
        form["csrf_token"] = csrf_token(client, UPLOAD)
    return client.post(UPLOAD, data=form, content_type="multipart/form-data")


@pytest.fixture
def supervisor(client_as, org):
    client = _english(client_as("supervisor", unit_code="branch-a"))
    db.session.add(UnitSupervisor(unit_id=org["branch_a"].id, user_id=client.user.id))
    db.session.commit()
    return client


def test_only_admins_and_supervisors_open_the_page(client_as, patron_round):
    assert client_as("librarian").get(UPLOAD).status_code == 403
    assert client_as("trainer").get(UPLOAD).status_code == 403
    page = client_as("admin").get(UPLOAD)
    assert page.status_code == 200 and "pemustaka" in page.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(client_as, loaded_surveys, patron_round):
    client = _english(client_as("admin"))
    response = _upload(client, b"p-find\n4\n", token=False, survey_id=loaded_surveys["pemustaka"].id)
    assert response.status_code == 400
    assert counts()[:3] == (0, 0, 0)


def test_upload_shows_every_problem_and_writes_nothing(client_as, loaded_surveys, patron_round):
    client = _english(client_as("admin"))
    data = (HEADER + "2026-03-14 09:00,,7,4,4\n2026-03-14 09:01,,<b>x</b>,4,4\n").encode()
    response = _upload(client, data, survey_id=loaded_surveys["pemustaka"].id)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert "line 2: column &#34;p-find&#34;: &#34;7&#34; is not on the scale setuju-5 (allowed: " in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page  # escaped
    assert counts()[:3] == (0, 0, 0)


def test_admin_upload_succeeds_and_is_listed(client_as, org, loaded_surveys, patron_round):
    client = _english(client_as("admin"))
    response = _upload(client, (CSV / "excel-semicolon.csv").read_bytes(), filename="excel.csv",
                       survey_id=loaded_surveys["pemustaka"].id, round_id=patron_round.id,
                       unit_id=org["section_a1"].id)
    assert response.status_code == 302 and response.headers["Location"].endswith(UPLOAD)
    record = db.session.scalar(select(PatronImport))
    assert (record.rows, record.unit_id, record.imported_by_id) == (2, org["section_a1"].id, client.user.id)
    page = client.get(UPLOAD).get_data(as_text=True)
    assert "Imported 2 patron responses into the round &#34;Putaran Uji&#34;." in page
    table = page.split('id="patron-imports"')[1]
    assert "excel.csv" in table and "Putaran Uji" in table and "Seksi A1" in table and client.user.full_name in table


def test_supervisor_cannot_choose_another_unit(supervisor, org, loaded_surveys, patron_round):
    page = supervisor.get(UPLOAD).get_data(as_text=True)
    assert "Cabang A" in page and "Seksi A1" in page and "Cabang B" not in page
    response = _upload(supervisor, b"p-find\n4\n", survey_id=loaded_surveys["pemustaka"].id,
                       unit_id=org["branch_b"].id)
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert counts()[:3] == (0, 0, 0)


def test_supervisor_imports_rows_of_their_units_only(supervisor, org, loaded_surveys, patron_round):
    data = (HEADER + "2026-03-14 09:00,branch-b,4,4,4\n").encode()
    response = _upload(supervisor, data, survey_id=loaded_surveys["pemustaka"].id)
    assert response.status_code == 400
    assert "line 2: the response is not for one of your units" in response.get_data(as_text=True)
    response = _upload(supervisor, b"p-find\n4\n", survey_id=loaded_surveys["pemustaka"].id,
                       unit_id=org["section_a1"].id)
    assert response.status_code == 302
    assert db.session.scalar(select(PatronResponse.unit_id)) == org["section_a1"].id
