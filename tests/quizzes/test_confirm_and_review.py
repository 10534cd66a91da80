"""Issue 16 item 5: a submit with blank questions asks first (without JavaScript), the
result shows the learner's own answers with what the settings allow and offers another
attempt, and every answer type's input survives a refused submit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import csrf_token
from tests.quizzes.conftest import module, shown_value, start


@pytest.fixture
def learner(client_as, imported):
    return client_as("librarian")


def _q(module_slug: str) -> dict[str, int]:
    return {q.qid: q.id for q in module(module_slug).current_version.questions}


def _page(client, attempt_id: int) -> str:
    return client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)


def _selected(page: str, name: str) -> str | None:
    """The selected option's value of the <select name=...>, or None."""
    select_html = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select_html, f"no select {name}"
    found = re.search(r'<option value="([^"]*)" selected>', select_html.group(1))
    return found.group(1) if found else None


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)" checked', page)


def _text(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page).group(1)


def _option_for(page: str, name: str, label: str) -> str:
    """The value of the option whose text is ``label`` in <select name=...>."""
    select_html = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(rf'<option value="([^"]*)"[^>]*>{re.escape(label)}</option>', select_html).group(1)


def _row_field(page: str, qid: int, label: str) -> str:
    """The select name of the matching/ordering row labelled ``label``."""
    return re.search(rf'<label for="(q-{qid}-\d+)">{re.escape(label)}</label>', page).group(1)


# -- the confirmation step -----------------------------------------------------------------

def test_a_submit_with_blank_questions_asks_first_and_keeps_every_answer(learner):
    attempt_id = start(learner)
    page, q = _page(learner, attempt_id), _q("marc")
    form = {"csrf_token": csrf_token(learner, f"/quiz/attempt/{attempt_id}"),
            f"q-{q['marc-245']}": shown_value(page, q["marc-245"], "245"), f"q-{q['marc-short']}": "RDA"}
    response = learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form)
    assert response.status_code == 200
    held = response.get_data(as_text=True)
    assert "2 dari 4 pertanyaan belum dijawab" in held
    for blank in ("marc-multi", "marc-tf"):  # each blank question is linked and marked
        assert f'href="#question-{q[blank]}"' in held
        assert re.search(rf'class="card question unanswered" id="question-{q[blank]}"', held)
    assert 'name="confirm_unanswered"' in held and "Kirim tetap" in held
    assert _checked(held, f"q-{q['marc-245']}") == [form[f"q-{q['marc-245']}"]]
    assert _text(held, f"q-{q['marc-short']}") == "RDA"
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress"  # nothing graded yet, but what was given is saved
    assert db.session.scalar(select(func.count(QuizAnswer.id)).where(QuizAnswer.response.is_not(None))) == 2

    response = learner.post(f"/quiz/attempt/{attempt_id}/submit",
                            data={"csrf_token": form["csrf_token"], "confirm_unanswered": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    db.session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.score == 2.0  # 245 and RDA, one point each


def test_answers_saved_earlier_count_as_answered(learner):
    """Autosave kept the other answers: a submit that carries only the last one goes straight through."""
    attempt_id = start(learner)
    page, q = _page(learner, attempt_id), _q("marc")
    token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
    saved = {"csrf_token": token, f"q-{q['marc-245']}": shown_value(page, q["marc-245"], "245"),
             f"q-{q['marc-multi']}": shown_value(page, q["marc-multi"], "650"), f"q-{q['marc-tf']}": "true"}
    assert learner.post(f"/quiz/attempt/{attempt_id}/save", data=saved).status_code == 302
    response = learner.post(f"/quiz/attempt/{attempt_id}/submit",
                            data={"csrf_token": token, f"q-{q['marc-short']}": "RDA"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")


# -- inputs survive a refused submit, for every type ------------------------------------------

def _full_marc_form(page: str, q: dict[str, int]) -> dict:
    return {f"q-{q['marc-245']}": shown_value(page, q["marc-245"], "650"),
            f"q-{q['marc-multi']}": [shown_value(page, q["marc-multi"], "650"),
                                     shown_value(page, q["marc-multi"], "245")],
            f"q-{q['marc-tf']}": "false", f"q-{q['marc-short']}": "Resource <Description>"}


def _full_ddc_form(page: str, q: dict[str, int]) -> dict:
    form = {f"q-{q['ddc-num']}": "899,5"}
    left_000 = _row_field(page, q["ddc-match"], "000")
    form[left_000] = _option_for(page, left_000, "Teknologi")
    for label, position in (("000", "3"), ("300", "1"), ("900", "2")):
        form[_row_field(page, q["ddc-order"], label)] = position
    return form


def _assert_kept(held: str, form: dict) -> None:
    """Every posted field is shown again as posted: checked boxes, typed text, chosen options."""
    for name, value in form.items():
        values = value if isinstance(value, list) else [value]
        if 'type="radio" name="' + name + '"' in held or 'type="checkbox" name="' + name + '"' in held:
            assert sorted(_checked(held, name)) == sorted(values), name
        elif f'<select id="{name}"' in held:
            assert _selected(held, name) == values[0], name
        else:
            shown = values[0].replace("<", "&lt;").replace(">", "&gt;")
            assert _text(held, name) == shown, name


@pytest.mark.parametrize("module_slug", ["marc", "ddc"])
def test_every_type_comes_back_after_an_expired_form(learner, module_slug):
    """A refused CSRF token (a page left open past the session) shows the page again with
    everything posted - single, multiple, true/false, short, number, matching, ordering -
    and saves nothing."""
    attempt_id = start(learner, module_slug)
    page, q = _page(learner, attempt_id), _q(module_slug)
    form = (_full_marc_form if module_slug == "marc" else _full_ddc_form)(page, q)
    for action in ("submit", "save"):
        response = learner.post(f"/quiz/attempt/{attempt_id}/{action}", data={**form, "csrf_token": "expired"})
        assert response.status_code == 400
        held = response.get_data(as_text=True)
        assert "Formulir sudah kedaluwarsa" in held
        _assert_kept(held, form)
        assert 'name="csrf_token"' in held  # a fresh token: pressing the button again works
    assert db.session.scalar(select(func.count(QuizAnswer.id))) == 0
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.status == "in_progress"


def test_an_incomplete_order_comes_back_as_given(learner):
    """Ordering with a position missing is refused; the positions given, and every other
    answer on the form, are shown again (they came back blank before)."""
    attempt_id = start(learner, "ddc")
    page, q = _page(learner, attempt_id), _q("ddc")
    form = _full_ddc_form(page, q)
    form.pop(_row_field(page, q["ddc-order"], "900"))
    response = learner.post(f"/quiz/attempt/{attempt_id}/submit",
                            data={**form, "csrf_token": csrf_token(learner, f"/quiz/attempt/{attempt_id}")})
    assert response.status_code == 400
    held = response.get_data(as_text=True)
    assert "Beri setiap butir posisi yang berbeda." in held
    _assert_kept(held, form)
    assert _selected(held, _row_field(page, q["ddc-order"], "900")) is None


def test_a_saved_answer_of_every_type_is_shown_on_reload(learner):
    """What ``form_values`` gives for a saved answer is what the widget needs to show it."""
    for module_slug, build in (("marc", _full_marc_form), ("ddc", _full_ddc_form)):
        attempt_id = start(learner, module_slug)
        page, q = _page(learner, attempt_id), _q(module_slug)
        form = build(page, q)
        token = csrf_token(learner, f"/quiz/attempt/{attempt_id}")
        assert learner.post(f"/quiz/attempt/{attempt_id}/save", data={**form, "csrf_token": token}).status_code == 302
        _assert_kept(_page(learner, attempt_id), form)


# -- the result: own answers, what the settings allow, another attempt -------------------------

def _submit_ddc(client) -> int:
    attempt_id = start(client, "ddc")
    page, q = _page(client, attempt_id), _q("ddc")
    form = {**_full_ddc_form(page, q), "csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}")}
    assert client.post(f"/quiz/attempt/{attempt_id}/submit", data=form).status_code == 302
    return attempt_id


def test_the_result_shows_own_answers_feedback_and_a_retry(learner):
    attempt_id = _submit_ddc(learner)
    review = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert review.count("Jawaban Anda:") == 3
    assert "899,5" in review  # own number, in the reader's decimal sign
    assert "000 → Teknologi" in review  # own match
    assert "300 → 900 → 000" in review  # own order
    assert "Jawaban yang benar:" in review and "000 → 300 → 900" in review  # feedback: after_attempt
    assert 'id="retry"' in review and "Coba lagi" in review and "sisa 2 percobaan" in review
    second = _submit_ddc(learner)
    third = _submit_ddc(learner)
    assert second != third
    last = learner.get(f"/quiz/attempt/{third}/review").get_data(as_text=True)
    assert 'id="retry"' not in last and "Coba lagi" not in last  # ddc allows three


def test_the_result_never_shows_the_key_when_the_settings_say_so(learner):
    version = module("ddc").current_version
    version.settings = {**(version.settings or {}), "feedback": "never"}
    db.session.commit()
    attempt_id = _submit_ddc(learner)
    review = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert "300 → 900 → 000" in review and "899,5" in review  # their own answers, still
    for secret in ("Jawaban yang benar:", "000 → 300 → 900", "Sejarah dan geografi", "Sebagian benar", "Belum benar"):
        assert secret not in review, secret
