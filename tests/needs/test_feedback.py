"""Module feedback: the panel on a finished module, storing and updating it, the refusal when
the module is not finished, and the trainers' summary checked against hand-worked means."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.needs import feedback
from lms.plugins.needs.models import ModuleFeedback
from tests.conftest import csrf_token, post_form
from tests.needs.test_rounds import english

MODULE_URL = "/courses/contoh/marc/"


def module(slug: str) -> Module:
    return db.session.scalar(select(Module).join(Course).where(Course.slug == "contoh", Module.slug == slug))


def finish(user_id: int, slug: str) -> Module:
    target = module(slug)
    db.session.add(ModuleCompletion(user_id=user_id, module_id=target.id))
    db.session.commit()
    return target


def rows() -> list[ModuleFeedback]:
    db.session.expire_all()
    return list(db.session.scalars(select(ModuleFeedback)))


@pytest.fixture
def learner(client_as, imported):
    return english(client_as("librarian"))


def test_panel_appears_only_after_finishing(learner):
    assert "Feedback on this module" not in learner.get(MODULE_URL).get_data(as_text=True)
    finish(learner.user.id, "marc")
    page = learner.get(MODULE_URL).get_data(as_text=True)
    assert "Feedback on this module" in page and 'name="useful"' in page and "5 = very much" in page
    assert "How useful was this module for my work?" in page


def test_feedback_is_stored_then_updated(learner):
    target = finish(learner.user.id, "marc")
    url = f"/needs/feedback/{target.id}"
    response = post_form(learner, url, {"useful": "5", "clear": "4", "applicable": "3", "comment": "Bagus"},
                         token_from=MODULE_URL)
    assert response.status_code == 302 and response.headers["Location"].startswith(MODULE_URL)
    [stored] = rows()
    assert (stored.user_id, stored.module_id, stored.useful, stored.clear, stored.applicable, stored.comment) == \
        (learner.user.id, target.id, 5, 4, 3, "Bagus")
    assert stored.module_version_id == target.current_version_id
    post_form(learner, url, {"useful": "2", "clear": "2", "applicable": "1", "comment": ""}, token_from=MODULE_URL)
    [again] = rows()
    assert again.id == stored.id and (again.useful, again.clear, again.applicable, again.comment) == (2, 2, 1, "")
    page = learner.get(MODULE_URL).get_data(as_text=True)
    assert 'name="useful" value="2" checked' in page and "You can change it at any time." in page


def test_refused_when_the_module_is_not_finished(learner):
    target = module("marc")
    response = post_form(learner, f"/needs/feedback/{target.id}", {"useful": "5", "clear": "5", "applicable": "5"},
                         token_from=MODULE_URL)
    assert response.status_code == 403
    assert rows() == []
    with pytest.raises(feedback.FeedbackError):
        feedback.save_feedback(learner.user, target, useful=5, clear=5, applicable=5)
    assert rows() == []


@pytest.mark.parametrize("data", [
    {"useful": "6", "clear": "4", "applicable": "3"},
    {"useful": "x", "clear": "4", "applicable": "3"},
    {"clear": "4", "applicable": "3"},
    {"useful": "4", "clear": "4", "applicable": "3", "comment": "a" * 2001},
])
def test_bad_feedback_is_refused_with_a_message(learner, data):
    target = finish(learner.user.id, "marc")
    response = post_form(learner, f"/needs/feedback/{target.id}", data, token_from=MODULE_URL)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please correct the marked fields." in page
    assert rows() == []


def test_csrf_is_required(learner):
    target = finish(learner.user.id, "marc")
    response = learner.post(f"/needs/feedback/{target.id}", data={"useful": "5", "clear": "5", "applicable": "5"})
    assert response.status_code == 400
    assert rows() == []


def test_summary_means_match_hand_worked_figures(app, imported, make_user, client_as):
    marc, ddc = module("marc"), module("ddc")
    answers = {  # (useful, clear, applicable)
        marc.id: [(5, 4, 3), (4, 4, 2), (3, 1, 1)],
        ddc.id: [(2, 2, 2)],
    }
    for module_id, triples in answers.items():
        for n, (u, c, a) in enumerate(triples):
            user = make_user(f"fb-{module_id}-{n}")
            db.session.add(ModuleCompletion(user_id=user.id, module_id=module_id))
            db.session.add(ModuleFeedback(user_id=user.id, module_id=module_id, useful=u, clear=c, applicable=a,
                                          comment=f"<b>komentar {module_id}-{n}</b>" if n == 0 else ""))
    db.session.commit()
    summary = feedback.feedback_summary()
    # marc: useful (5+4+3)/3 = 4, clear (4+4+1)/3 = 3, applicable (3+2+1)/3 = 2, overall (4+3+2)/3 = 3
    assert summary[marc.id].n == 3
    assert (summary[marc.id].useful, summary[marc.id].clear, summary[marc.id].applicable) == \
        pytest.approx((4.0, 3.0, 2.0))
    assert summary[marc.id].overall == pytest.approx(3.0)
    assert summary[ddc.id].n == 1 and summary[ddc.id].overall == pytest.approx(2.0)
    assert set(feedback.feedback_summary([ddc.id])) == {ddc.id}
    assert feedback.feedback_summary([]) == {}

    trainer = english(client_as("trainer"))
    page = trainer.get("/needs/feedback/").get_data(as_text=True)
    assert page.index(f'data-module="{ddc.id}"') < page.index(f'data-module="{marc.id}"')  # lowest first
    assert "<strong>3.00</strong>" in page and "4.00" in page and "<strong>2.00</strong>" in page
    assert f"&lt;b&gt;komentar {marc.id}-0&lt;/b&gt;" in page  # escaped
    assert "Fb-" not in page  # no names next to feedback
    by_title = trainer.get("/needs/feedback/?sort=responses").get_data(as_text=True)
    assert by_title.index(f'data-module="{marc.id}"') < by_title.index(f'data-module="{ddc.id}"')
    assert client_as("librarian", unit_code="branch-b").get("/needs/feedback/").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ModuleFeedback)) == 4


def test_csrf_token_helper_reads_the_module_page(learner):
    finish(learner.user.id, "marc")
    assert csrf_token(learner, MODULE_URL)
