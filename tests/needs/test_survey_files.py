"""Survey files as the form tools write them (issue 15 item 3).

The survey is ``layanan`` (tests/needs/fixtures/surveys/layanan.yml): l-staff on the ready
4-point satisfaction scale ``puas-4``, l-shelf on its own 4-point ``kemudahan`` scale with
"Tidak tahu"/"Don't know"/"Belum pernah mencoba" as not applicable, l-record on the agree
scale ``setuju-5``, and l-answered on its own ``ya-tidak`` scale (values 0 and 1). Stored
values are on the analysis' 1-5 range: a 4-point scale gives 1, 2.333, 3.667, 5 and a
2-point scale 1 and 5. Each file in tests/needs/fixtures imitates one tool's export.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.clock import aware, local_today
from lms.extensions import db
from lms.plugins.needs.models import NeedsRound, PatronAnswer, PatronImport, PatronResponse, Survey, SurveyItem
from lms.plugins.needs.patron import PatronImportError, import_patron_csv
from lms.plugins.needs.surveys import check_surveys, import_surveys
from tests.conftest import csrf_token

FIXTURES = Path(__file__).resolve().parent / "fixtures"
P4 = {1: 1.0, 2: 7 / 3, 3: 11 / 3, 4: 5.0}  # a 4-point scale on the common 1-5 range
NO, YES = 1.0, 5.0  # ya-tidak: 0 and 1
UPLOAD = "/needs/patron/"


@pytest.fixture
def app(english_app):
    """Messages in English: these tests pin the source wording."""
    return english_app


@pytest.fixture
def layanan(imported, tmp_path) -> NeedsRound:
    """The ``layanan`` survey loaded and a closed round running it."""
    root = tmp_path / "layanan-surveys"
    root.mkdir()
    shutil.copy(FIXTURES / "surveys" / "layanan.yml", root)
    import_surveys(root)
    survey = db.session.scalar(select(Survey).where(Survey.slug == "layanan"))
    today = local_today()
    from tests.needs.test_analysis import home_unit

    needs_round = NeedsRound(title="Putaran Layanan", opens_on=today - timedelta(days=30),
                             closes_on=today - timedelta(days=7), patron_survey_id=survey.id,
                             organisation_id=home_unit().id)
    db.session.add(needs_round)
    db.session.commit()
    return needs_round


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (PatronImport, PatronResponse, PatronAnswer, AuditEntry))


def stored(record: PatronImport) -> list[tuple[int, datetime | None, dict[str, float]]]:
    """(line, submitted_at in UTC, {item key: stored value}) of each response, by line."""
    keys = dict(db.session.execute(select(SurveyItem.id, SurveyItem.key)).all())
    result = []
    for response in db.session.scalars(select(PatronResponse).where(PatronResponse.import_id == record.id)
                                       .order_by(PatronResponse.line)):
        answers = {keys[a.item_id]: pytest.approx(a.value) for a in db.session.scalars(
            select(PatronAnswer).where(PatronAnswer.response_id == response.id))}
        when = aware(response.submitted_at) if response.submitted_at else None
        result.append((response.line, when, answers))
    return result


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def load(name: str, **options):
    return import_patron_csv((FIXTURES / name).read_bytes(), name, "layanan", **options)


def refused(data: bytes, **options) -> list[str]:
    """The problems of a refused import, after checking that nothing was written."""
    before = counts()
    with pytest.raises(PatronImportError) as error:
        import_patron_csv(data, "x.csv", "layanan", **options)
    db.session.rollback()
    assert counts() == before
    return error.value.problems


# --- each tool's export ----------------------------------------------------------------------

def test_google_forms_indonesian_sheet(layanan):
    result = load("google-forms-id.csv")
    # 15/11/2026 proves day first, so 03/11/2026 is 3 November; Jakarta is UTC+7.
    assert stored(result.record) == [
        (2, utc(2026, 11, 3, 7, 5, 33), {"l-staff": P4[4], "l-shelf": P4[3], "l-record": 4, "l-answered": YES}),
        (3, utc(2026, 11, 3, 8, 20, 1), {"l-staff": P4[3], "l-record": 3, "l-answered": YES}),  # Tidak tahu
        (4, utc(2026, 11, 15, 2, 2, 47), {"l-staff": P4[2], "l-shelf": P4[2], "l-record": 2, "l-answered": NO}),
        (5, utc(2026, 11, 20, 3, 45), {"l-staff": P4[4], "l-shelf": P4[4], "l-record": 5}),  # Tidak berlaku
    ]
    assert result.record.rows == 4
    assert result.not_applicable == {"l-shelf": 1, "l-answered": 1}
    assert (result.ignored, result.personal) == (["Skor"], ["Alamat email"])
    assert result.lines() == [
        "Not applicable (counted as missing, not as an answer): l-shelf 1, l-answered 1",
        "Ignored columns (form-tool metadata): Skor",
        "Personal-data columns not stored: Alamat email",
        "Response dates from column 'Stempel waktu', read as day/month/year"]


def test_google_forms_english_sheet(layanan):
    result = load("google-forms-en.csv")
    # 11/20/2026 proves month first, so 11/3/2026 is 3 November.
    assert stored(result.record) == [
        (2, utc(2026, 11, 3, 7, 5, 33), {"l-staff": P4[4], "l-shelf": P4[3], "l-record": 4, "l-answered": YES}),
        (3, utc(2026, 11, 3, 9, 40, 12), {"l-staff": P4[3], "l-record": 3, "l-answered": YES}),
        (4, utc(2026, 11, 20, 2, 15), {"l-staff": P4[2], "l-shelf": P4[1], "l-record": 1, "l-answered": NO}),
    ]
    assert result.not_applicable == {"l-shelf": 1}
    assert (result.ignored, result.personal, result.date_order) == (["Score"], ["Email Address"], "%m/%d/%Y")


def test_microsoft_forms_us_dates_are_read_in_one_order(layanan):
    """The issue's file: 11/3/2026 and 11/10/2026 are both November, never 3 Nov and 11 Oct."""
    result = load("ms-forms-us.csv")
    assert [when for _line, when, _answers in stored(result.record)] == [
        utc(2026, 11, 3, 7, 5, 33), utc(2026, 11, 10, 2, 1, 30), utc(2026, 11, 13, 9, 31, 5)]  # completion times
    assert stored(result.record)[2][2] == {"l-staff": P4[1], "l-shelf": P4[2], "l-record": 2, "l-answered": NO}
    assert result.ignored == ["ID", "Start time", "Last modified time"]
    assert result.personal == ["Email", "Name"]
    assert result.date_column == "Completion time" and result.not_applicable == {}


def test_microsoft_forms_indonesian_semicolons_and_abbreviations(layanan):
    result = load("ms-forms-id.csv")
    assert stored(result.record) == [
        (2, utc(2026, 11, 3, 7, 5, 33), {"l-staff": P4[4], "l-shelf": P4[3], "l-record": 5, "l-answered": YES}),
        (3, utc(2026, 11, 10, 2, 1, 30), {"l-staff": P4[3], "l-shelf": P4[2], "l-record": 4, "l-answered": NO}),
        (4, utc(2026, 11, 13, 9, 31, 5), {"l-staff": P4[2], "l-record": 3, "l-answered": YES}),
    ]
    assert result.ignored == ["ID", "Waktu mulai", "Waktu modifikasi terakhir"]
    assert result.personal == ["Email", "Nama"]
    assert result.not_applicable == {"l-shelf": 1}


def test_kobotoolbox_export(layanan):
    result = load("kobo.csv")
    # _submission_time is the server's UTC time without an offset; it wins over start and end.
    assert stored(result.record) == [
        (2, utc(2026, 11, 3, 7, 8, 10), {"l-staff": P4[4], "l-shelf": P4[4], "l-record": 4, "l-answered": YES}),
        (3, utc(2026, 11, 4, 2, 14, 50), {"l-staff": P4[3], "l-record": 3, "l-answered": YES}),
        (4, utc(2026, 11, 5, 8, 40, 3), {"l-staff": P4[1], "l-shelf": P4[2], "l-record": 1, "l-answered": NO}),
    ]
    assert result.ignored == ["start", "end", "today", "deviceid", "_id", "_uuid", "_validation_status", "_notes",
                              "_status", "__version__", "_tags", "_index"]
    assert result.personal == ["username", "_submitted_by"]
    assert result.date_column == "_submission_time" and result.not_applicable == {"l-shelf": 1}


def test_libreoffice_semicolons_with_commas_in_quoted_headers(layanan):
    result = load("libreoffice-semicolon.csv")
    assert stored(result.record) == [
        (2, utc(2026, 11, 3, 7, 5), {"l-staff": P4[3], "l-record": 4}),
        (3, utc(2026, 11, 4, 3, 30), {"l-staff": P4[4], "l-record": 5}),
        (4, utc(2026, 11, 21, 1, 15), {"l-staff": P4[2], "l-record": 2}),
    ]
    assert result.ignored == ["Kritik, saran, dan masukan"]  # the survey's ignore_columns


@pytest.mark.parametrize("name", ["excel-unicode.txt", "excel-unicode-be.txt"])
def test_excel_unicode_text_utf16_tabs(layanan, name):
    assert (FIXTURES / name).read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    result = load(name)
    assert stored(result.record) == [
        (2, utc(2026, 11, 15, 2, 30), {"l-staff": P4[4], "l-shelf": P4[3], "l-record": 5, "l-answered": YES}),
        (3, utc(2026, 11, 16, 4, 0), {"l-staff": P4[3], "l-record": 4, "l-answered": NO}),
    ]
    assert result.personal == ["Nama"] and result.not_applicable == {"l-shelf": 1}


def test_a_response_of_only_not_applicable_is_a_response_without_answers(layanan):
    result = import_patron_csv("Kemudahan menemukan koleksi di rak\nTidak tahu\nMudah\n".encode(), "a.csv",
                               "layanan")
    assert [(line, answers) for line, _when, answers in stored(result.record)] == [(2, {}), (3, {"l-shelf": P4[3]})]
    assert result.not_applicable == {"l-shelf": 1}


def test_not_applicable_stays_out_of_the_mean(layanan):
    load("google-forms-id.csv")
    n, mean = db.session.execute(select(func.count(), func.avg(PatronAnswer.value))
                                 .where(PatronAnswer.competency_id == "cat-classification")).one()
    assert n == 3 and mean == pytest.approx((P4[3] + P4[2] + P4[4]) / 3)  # l-shelf without its "Tidak tahu"


# --- dates --------------------------------------------------------------------------------------

def test_ambiguous_dates_are_refused_with_the_date_format_hint(layanan):
    data = (FIXTURES / "ms-forms-us-ambiguous.csv").read_bytes()
    assert refused(data) == [
        "line 2: the dates of column 'Completion time' can be read day/month/year or month/day/year (for example "
        "'11/3/2026 2:05:33 PM') and no date in the file tells which; choose the order with --date-format "
        "%d/%m/%Y or --date-format %m/%d/%Y (on the upload page: \"Date order\")"]


@pytest.mark.parametrize("date_format, expected", [
    ("%m/%d/%Y", [utc(2026, 11, 3, 7, 5, 33), utc(2026, 11, 10, 2, 1, 30)]),
    ("%m/%d/%Y %I:%M:%S %p", [utc(2026, 11, 3, 7, 5, 33), utc(2026, 11, 10, 2, 1, 30)]),
    ("%d/%m/%Y", [utc(2026, 3, 11, 7, 5, 33), utc(2026, 10, 11, 2, 1, 30)]),
])
def test_the_date_format_decides_an_ambiguous_file(layanan, date_format, expected):
    result = load("ms-forms-us-ambiguous.csv", date_format=date_format)
    assert [when for _line, when, _answers in stored(result.record)] == expected
    assert result.date_order == date_format


def test_a_file_mixing_date_orders_is_refused(layanan):
    assert refused((FIXTURES / "mixed-order.csv").read_bytes()) == [
        "line 3: '11/14/2026 10:00:00' can only be month/day/year, but line 2: '13/11/2026 09:00:00' can only be "
        "day/month/year; one file cannot mix date orders (column 'Stempel waktu')"]


def test_a_date_that_does_not_match_the_given_format_is_refused(layanan):
    data = (FIXTURES / "mixed-order.csv").read_bytes()
    assert refused(data, date_format="%d/%m/%Y") == [
        "line 3: the time '11/14/2026 10:00:00' does not match the date format %d/%m/%Y"]
    assert refused(data, date_format="%Y") == [
        "the date format '%Y' needs %d, %m and %Y (for example %d/%m/%Y or %m/%d/%Y)"]


# --- answers ------------------------------------------------------------------------------------

def test_an_answer_off_the_scale_is_refused_with_the_allowed_answers(layanan):
    data = ('"Kesopanan, keramahan, dan kesigapan petugas",Kemudahan menemukan koleksi di rak,'
            'Pertanyaan saya terjawab tuntas\nCukup puas,5,Mungkin\nPuas,4,1\n').encode()
    assert refused(data) == [
        'line 2: column "Kesopanan, keramahan, dan kesigapan petugas": "Cukup puas" is not on the scale puas-4 '
        "(allowed: 1 Sangat tidak puas (STP), 2 Tidak puas (TP), 3 Puas (P), 4 Sangat puas (SP); not applicable: "
        "Tidak berlaku, Not applicable, N/A)",
        'line 2: column "Kemudahan menemukan koleksi di rak": "5" is not on the scale kemudahan (allowed: '
        "1 Sangat sulit (SSL), 2 Sulit (SL), 3 Mudah (M), 4 Sangat mudah (SM); not applicable: Tidak tahu, "
        "Don't know, Belum pernah mencoba)",
        'line 2: column "Pertanyaan saya terjawab tuntas": "Mungkin" is not on the scale ya-tidak (allowed: '
        "0 Tidak, 1 Ya; not applicable: Tidak berlaku)"]


def test_labels_match_across_case_width_and_spaces_and_values_of_the_scale(layanan):
    # A full-width "ＳＰ" (NFKC folds it), extra spaces, lower case and the value 4.0.
    data = ("Kesopanan, keramahan, dan kesigapan petugas;Kemudahan menemukan koleksi di rak\n"
            "ＳＰ;  sangat   MUDAH \n3;4.0\n").encode()
    result = import_patron_csv(data, "a.csv", "layanan")
    assert [answers for _line, _when, answers in stored(result.record)] == [
        {"l-staff": P4[4], "l-shelf": P4[4]}, {"l-staff": P4[3], "l-shelf": P4[4]}]


# --- encodings and refusals -------------------------------------------------------------------

def test_a_broken_utf16_file_is_refused_with_its_line(layanan):
    data = b"\xff\xfe" + "Tanggal\tKemudahan menemukan koleksi di rak\r\n".encode("utf-16-le") + b"\x00\xd8\x41"
    assert refused(data) == ["line 2: the file starts as UTF-16 but is not valid UTF-16"]


def test_utf16_without_its_byte_order_mark_is_refused(layanan):
    data = "Kemudahan menemukan koleksi di rak\nMudah\n".encode("utf-16-le")
    assert refused(data) == [
        'line 1: the file contains NUL bytes (UTF-16 without a byte-order mark?); save it as "CSV UTF-8" or '
        '"Unicode text" and try again']


# --- command and upload page --------------------------------------------------------------------

def test_cli_date_format_and_report(runner, layanan):
    path = FIXTURES / "ms-forms-us-ambiguous.csv"
    before = counts()
    result = runner.invoke(args=["needs", "import-csv", str(path), "--survey", "layanan"])
    assert result.exit_code == 1 and "--date-format" in result.stderr
    assert counts() == before
    result = runner.invoke(args=["needs", "import-csv", str(path), "--survey", "layanan",
                                 "--date-format", "%m/%d/%Y"])
    assert result.exit_code == 0, result.output
    record = db.session.scalar(select(PatronImport))
    assert result.stdout.splitlines() == [
        f"Imported 2 responses into round 'Putaran Layanan' (import {record.id}).",
        "Ignored columns (form-tool metadata): ID, Start time, Last modified time",
        "Personal-data columns not stored: Email, Name",
        "Response dates from column 'Completion time', read as month/day/year"]


def test_upload_page_offers_the_date_order(client_as, layanan):
    client = client_as("admin")
    client.user.locale = "en"
    db.session.commit()
    survey = db.session.scalar(select(Survey).where(Survey.slug == "layanan"))
    data = (FIXTURES / "ms-forms-us-ambiguous.csv").read_bytes()

    def upload(date_format: str):
        import io
        return client.post(UPLOAD, data={"csrf_token": csrf_token(client, UPLOAD), "survey_id": str(survey.id),
                                         "round_id": "", "unit_id": "", "date_format": date_format,
                                         "file": (io.BytesIO(data), "ms.csv")}, content_type="multipart/form-data")

    response = upload("")
    assert response.status_code == 400 and "no date in the file tells which" in response.get_data(as_text=True)
    assert counts()[:3] == (0, 0, 0)
    assert upload("%Y").status_code == 400  # not one of the choices
    response = upload("%m/%d/%Y")
    assert response.status_code == 302
    page = client.get(UPLOAD).get_data(as_text=True)
    assert "Personal-data columns not stored: Email, Name" in page
    assert [when for _line, when, _answers in stored(db.session.scalar(select(PatronImport)))] == [
        utc(2026, 11, 3, 7, 5, 33), utc(2026, 11, 10, 2, 1, 30)]


# --- scales in the survey file ------------------------------------------------------------------

BAD_SCALES = """kind: patron
title: Skala buruk
scale: tidak-ada
scales:
  satu:
    points:
      - {id: Ya}
  kembar:
    points:
      - {value: 1, id: Baik, abbr: B}
      - {value: 1, id: Bagus, abbr: B}
  setuju-5:
    points: [{id: A}, {id: B}]
items:
  - id: x-one
    text: Butir satu
    competency: cat-marc
    scale: entah
"""


def test_the_loader_checks_scales_with_path_and_line(imported, tmp_path):
    (tmp_path / "buruk.yml").write_text(BAD_SCALES)
    _found, problems = check_surveys(tmp_path)
    path = tmp_path / "buruk.yml"
    ready = "setuju-5, puas-4, skm-puas-4, skm-baik-4"
    assert problems == [
        f"{path}:5: scale 'satu' has 1 points; a scale has 2 to 10",
        f"{path}:11: 'Baik' and 'Bagus' have the same value 1",
        f"{path}:11: the label 'b' means both 'Baik' and 'Bagus' in the scale 'kembar'",
        f"{path}:12: 'setuju-5' is a ready scale; give your own scale another name",
        f"{path}:3: unknown scale 'tidak-ada' (ready scales: {ready}; or define it under `scales:`)",
        f"{path}:18: unknown scale 'entah' (ready scales: {ready}; or define it under `scales:`)",
    ]


def test_ten_points_with_values_load_and_eleven_are_refused(imported, tmp_path):
    points = "\n".join(f"      - {{value: {n * 10}, id: Nilai {n}}}" for n in range(1, 12))
    text = (f"kind: patron\ntitle: Sepuluh\nscale: nilai\nscales:\n  nilai:\n    points:\n{points}\n"
            "items:\n  - {id: x-one, text: Butir, competency: cat-marc}\n")
    (tmp_path / "sepuluh.yml").write_text(text.replace("      - {value: 110, id: Nilai 11}\n", ""))
    found, problems = check_surveys(tmp_path)
    assert problems == [] and len(found[0].settings["scales"]["nilai"]["points"]) == 10
    (tmp_path / "sepuluh.yml").write_text(text)
    assert check_surveys(tmp_path)[1] == [f"{tmp_path / 'sepuluh.yml'}:5: scale 'nilai' has 11 points; a scale "
                                          "has 2 to 10"]
