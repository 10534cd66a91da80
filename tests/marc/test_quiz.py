"""A module with a MARC record question, end to end through the app: `lms courses check`
and import, the quiz page (a textarea, no key), a refused record kept as typed, grading on
submit, the result page, item analysis, the GIFT export and the Markdown export."""
from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import csrf_token

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "marc_courses"
QID = "praktik-marc-buku-lokal"
WRONG = """=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul,$eauthor.
=245  12$aJudul :$cAbdul Rahman.
=650  #4$aKalimantan Tengah.
=650  #4$asejarah"""
# what the quiz page must never hold before the attempt is submitted
SECRETS = ("9786020000000", "Rahman, Abdul", "$bsub judul /$cAbdul", "Kalimantan Tengah", "Sejarah.", "nama keluarga dulu",
           "non-filing", "karakter yang diabaikan", "Bandingkan rekaman Anda", "nam a22")


@pytest.fixture
def marc_root(tmp_path) -> Path:
    target = tmp_path / "marc_courses"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def marc_imported(app, marc_root) -> Path:
    from lms.plugins.courses.services import import_courses

    report = import_courses([marc_root])
    assert report.ok, report.problems
    return marc_root


@pytest.fixture
def learner(client_as, marc_imported):
    return client_as("librarian")


def _module(slug: str) -> Module:
    db.session.expire_all()
    return db.session.scalar(select(Module).join(Course).where(Course.slug == "praktik", Module.slug == slug))


def _start(client, module_slug: str = "buku-lokal") -> int:
    token = csrf_token(client, f"/quiz/praktik/{module_slug}/")
    response = client.post(f"/quiz/praktik/{module_slug}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/quiz/attempt/(\d+)$", response.headers["Location"]).group(1))


def _question_ids(module_slug: str = "buku-lokal") -> dict[str, int]:
    return {q.qid: q.id for q in _module(module_slug).current_version.questions}


def _submit(client, attempt_id: int, record: str, module_slug: str = "buku-lokal", **extra):
    ids = _question_ids(module_slug)
    data = {f"q-{ids[QID if module_slug == 'buku-lokal' else 'praktik-marc-245-saja']}": record,
            "csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}"), "confirm_unanswered": "1", **extra}
    return client.post(f"/quiz/attempt/{attempt_id}/submit", data=data)


def test_courses_check_accepts_the_module_and_import_stores_the_key(app, runner, marc_root):
    result = runner.invoke(args=["courses", "check", str(marc_root)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["courses", "import", str(marc_root)])
    assert result.exit_code == 0, result.output
    question = next(q for q in _module("buku-lokal").current_version.questions if q.qid == QID)
    assert (question.type, question.points) == ("marc", 5.0)
    assert question.data["record"]["fields"][2]["245"]["ind2"] == "0"
    assert question.data["notes_html"][3] == "245 ind2 menghitung karakter yang diabaikan saat pengurutan."


def test_courses_check_reports_a_bad_key_with_file_and_line_and_imports_nothing(app, runner, marc_root):
    path = marc_root / "praktik" / "01-buku-lokal.md"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    isbn_line = lines.index("=020  ##$a9786020000000") + 1
    title_line = lines.index("=245  10$aJudul :$bsub judul /$cAbdul Rahman.") + 1
    path.write_text(text.replace("=245  10$aJudul", "=245  1x$aJudul").replace("##$a978", "##978"),
                    encoding="utf-8")
    result = runner.invoke(args=["courses", "check", str(marc_root)])
    assert result.exit_code != 0
    assert f"01-buku-lokal.md:{isbn_line}: 020 adalah ruas data" in result.output, result.output
    assert f"01-buku-lokal.md:{title_line}: indikator “x” pada 245 bukan angka atau # (kosong)" in result.output
    result = runner.invoke(args=["courses", "import", str(marc_root)])
    assert result.exit_code != 0
    assert db.session.scalar(select(Course).where(Course.slug == "praktik")) is None


def test_the_quiz_page_has_a_plain_textarea_and_no_key(learner):
    attempt_id = _start(learner)
    page = learner.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    qid = _question_ids()[QID]
    textarea = re.search(rf'<textarea id="q-{qid}" name="q-{qid}"[^>]*>', page, re.S).group(0)
    for attribute in ('class="marc-input"', 'spellcheck="false"', 'autocomplete="off"', 'autocorrect="off"',
                      'autocapitalize="off"', f'aria-describedby="q-{qid}-hint"'):
        assert attribute in textarea
    assert "js/marc." in page
    assert "Tidak dinilai: tanda baca di awal dan akhir subruas; huruf kapital dan huruf kecil" in page
    for secret in SECRETS:
        assert secret not in page, secret


def test_an_unreadable_record_is_refused_line_by_line_and_kept_as_typed(learner):
    attempt_id = _start(learner)
    typed = "=245  10$aJudul <i>miring</i>\n650  #4$aSejarah.\n=24  10$aX"
    response = _submit(learner, attempt_id, typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Baris 2: ruas diawali = dan tagnya" in page and "Baris 3: “24 ” bukan tag MARC" in page
    qid = _question_ids()[QID]
    kept = re.search(rf'<textarea id="q-{qid}"[^>]*>\n(.*?)</textarea>', page, re.S).group(1)
    assert unescape(kept) == typed and "<i>" not in kept
    assert db.session.get(QuizAttempt, attempt_id).status == "in_progress"


def test_submit_grades_field_by_field_and_the_result_shows_record_feedback_and_key(learner):
    attempt_id = _start(learner)
    response = _submit(learner, attempt_id, WRONG)
    assert response.status_code == 302, response.get_data(as_text=True)
    answer = db.session.scalar(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id,
                                                        QuizAnswer.question_id == _question_ids()[QID]))
    assert answer.credit == pytest.approx(23 / 25) and answer.response == {"text": WRONG}
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == pytest.approx(5 * 23 / 25) and attempt.max_score == 6
    page = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert '<code class="marc-record">=LDR  00000nam a2200000 a 4500\n=020' in page
    assert ('245: ind2 salah (Anda menulis 2); $b tidak ada. <span class="marc-note">'
            "245 ind2 menghitung karakter yang diabaikan saat pengurutan.</span>") in page
    assert "650 (1) benar." in page and "LDR benar." in page
    assert '<code class="marc-record">=LDR  00000nam#a2200000#a#4500' in page  # the key, allowed here


def test_with_feedback_never_the_result_shows_the_record_only(learner):
    attempt_id = _start(learner, "tanpa-umpan-balik")
    response = _submit(learner, attempt_id, "=245  10$aSejarah Kalimantan Tengah.", "tanpa-umpan-balik")
    assert response.status_code == 302
    page = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert '<code class="marc-record">=245  10$aSejarah Kalimantan Tengah.</code>' in page
    for secret in ("$cAbdul Rahman", "Tengah /", "Rahasia-umpan-balik-245", "marc-outcome"):
        assert secret not in page


def test_item_analysis_counts_the_credit_of_each_attempt(learner):
    from lms.plugins.quizzes.item_analysis import item_analysis

    right = WRONG.replace("12$aJudul :$c", "10$aJudul :$bsub judul /$c")
    for record in (WRONG, right):
        assert _submit(learner, _start(learner), record).status_code == 302
    result = item_analysis(_module("buku-lokal").current_version.id)
    item = next(i for i in result.items if i.qid == QID)
    assert (item.type, item.n, item.blank) == ("marc", 2, 0)
    assert item.facility == pytest.approx((23 / 25 + 1) / 2)
    assert item.options is None


def test_gift_export_skips_the_marc_question_with_one_warning(app, runner, marc_imported):
    result = runner.invoke(args=["courses", "export-gift", "praktik/buku-lokal"])
    assert result.exit_code == 0, result.output
    assert f"// marc question {QID} skipped" in result.stdout
    assert "::praktik-marc-judul::" in result.stdout  # the other question is exported
    warnings = [line for line in result.stderr.splitlines() if QID in line]
    assert warnings == [f"marc question {QID} skipped: GIFT has no marc questions"]


def test_the_markdown_export_writes_the_key_back_as_written(app, runner, marc_imported, tmp_path):
    result = runner.invoke(args=["courses", "export", "praktik", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "out" / "praktik" / "01-buku-lokal.md").read_text(encoding="utf-8")
    assert written == (marc_imported / "praktik" / "01-buku-lokal.md").read_text(encoding="utf-8")
    versions = _module("buku-lokal").current_version.number
    shutil.copy(tmp_path / "out" / "praktik" / "01-buku-lokal.md", marc_imported / "praktik" / "01-buku-lokal.md")
    assert runner.invoke(args=["courses", "import", str(marc_imported)]).exit_code == 0
    assert _module("buku-lokal").current_version.number == versions  # unchanged: no new version


def test_a_corrected_key_regrades_earlier_attempts(learner, marc_imported, runner):
    """A trainer fixes the key (245 ind2 becomes 2) by publishing a new version; regrading
    applies it to the attempts of the old one, whose response is the record as typed."""
    from lms.plugins.quizzes.results import regrade

    attempt_id = _start(learner)
    assert _submit(learner, attempt_id, WRONG).status_code == 302
    path = marc_imported / "praktik" / "01-buku-lokal.md"
    path.write_text(path.read_text(encoding="utf-8").replace("=245  10$aJudul", "=245  12$aJudul"), encoding="utf-8")
    assert runner.invoke(args=["courses", "import", str(marc_imported)]).exit_code == 0
    report = regrade(_module("buku-lokal"), 1, None)
    assert report.skipped == [] and report.attempts == 1
    db.session.expire_all()
    credit = db.session.scalar(select(QuizAnswer.credit).where(QuizAnswer.attempt_id == attempt_id,
                                                               QuizAnswer.response.is_not(None)))
    assert credit == pytest.approx(24 / 25)  # ind2 2 is right now: only $b is missing
