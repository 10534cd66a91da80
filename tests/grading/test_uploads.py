"""The learner's file: checked by content and size (the records plugin's evidence rules),
nothing kept when refused, served only to its learner, graders and admins."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.grading.models import EssayUpload
from tests.conftest import login
from tests.grading.conftest import PDF, PNG, answers_form, question, start, submit


def evidence_files(app) -> list:
    folder = app.config["RECORDS_EVIDENCE_DIR"]
    import os

    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def upload(client, attempt_id: int, data: bytes, filename: str):
    essay = question("praktik-deskripsi-rda")
    form = answers_form(client, attempt_id)
    form[f"essay-file-{essay.id}"] = (io.BytesIO(data), filename)
    return client.post(f"/grading/attempt/{attempt_id}/upload/{essay.id}", data=form,
                       content_type="multipart/form-data")


def uploads() -> int:
    return db.session.scalar(select(func.count()).select_from(EssayUpload))


def test_a_pdf_is_kept_with_the_answer_and_shown_to_the_grader(app, learner, trainer):
    attempt_id = start(learner)
    response = upload(learner, attempt_id, PDF, "deskripsi.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/quiz/attempt/{attempt_id}#question-{question('praktik-deskripsi-rda').id}")
    row = db.session.scalar(select(EssayUpload))
    assert (row.name, row.content_type, row.user_id) == ("deskripsi.pdf", "application/pdf", learner.user.id)
    assert evidence_files(app) == [row.stored]
    page = learner.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    assert "Berkas sudah diunggah" in page and f'name="q-{question("praktik-deskripsi-rda").id}-file" value="1"' in page
    submit(learner, attempt_id)
    served = learner.get(f"/grading/file/{row.id}")
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert trainer.get(f"/grading/file/{row.id}").status_code == 200


def test_an_upload_only_answer_goes_to_the_queue(app, learner, trainer):
    attempt_id = start(learner)
    upload(learner, attempt_id, PNG, "foto.png")
    assert db.session.scalar(select(EssayUpload)).content_type == "image/png"
    essay = question("praktik-deskripsi-rda")
    form = answers_form(learner, attempt_id, essay="")
    form[f"q-{essay.id}-file"] = "1"  # what the page holds once a file is uploaded
    assert learner.post(f"/quiz/attempt/{attempt_id}/submit", data=form).status_code == 302
    queue = trainer.get("/grading/").get_data(as_text=True)
    assert "/grading/answer/" in queue


def test_a_disguised_file_and_a_too_large_one_are_refused_and_nothing_is_kept(app, learner):
    attempt_id = start(learner)
    html = b"<!doctype html><script>alert(1)</script>"
    response = upload(learner, attempt_id, html, "tugas.pdf")
    assert response.status_code == 302
    page = learner.get(response.headers["Location"]).get_data(as_text=True)
    assert "bukan salah satunya, apa pun nama berkasnya" in page
    assert uploads() == 0 and evidence_files(app) == []
    app.config["RECORDS_MAX_BYTES"] = 100
    response = upload(learner, attempt_id, PDF + b"0" * 200, "besar.pdf")
    page = learner.get(response.headers["Location"]).get_data(as_text=True)
    assert "terlalu besar" in page
    assert uploads() == 0 and evidence_files(app) == []


def test_no_upload_to_someone_elses_attempt_or_a_question_without_files(app, learner, make_user, org):
    attempt_id = start(learner)
    make_user("budi", roles=("librarian",), unit=org["branch_a"])
    other = app.test_client()
    login(other, "budi")
    from tests.conftest import csrf_token

    essay = question("praktik-deskripsi-rda")
    response = other.post(f"/grading/attempt/{attempt_id}/upload/{essay.id}",
                          data={"csrf_token": csrf_token(other, "/"), f"essay-file-{essay.id}": (io.BytesIO(PDF), "a.pdf")},
                          content_type="multipart/form-data")
    assert response.status_code == 404
    single = question("rda-inti")
    response = learner.post(f"/grading/attempt/{attempt_id}/upload/{single.id}",
                            data={"csrf_token": csrf_token(learner, "/"), f"essay-file-{single.id}": (io.BytesIO(PDF), "a.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 302 and uploads() == 0
    # without a CSRF token: refused
    response = learner.post(f"/grading/attempt/{attempt_id}/upload/{essay.id}",
                            data={f"essay-file-{essay.id}": (io.BytesIO(PDF), "a.pdf")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and uploads() == 0


def test_the_file_is_served_to_its_learner_graders_and_admins_only(app, learner, make_user, org):
    attempt_id = start(learner)
    upload(learner, attempt_id, PDF, "deskripsi.pdf")
    row = db.session.scalar(select(EssayUpload))
    for username, roles, status in (("budi", ("librarian",), 404), ("sari", ("supervisor",), 404),
                                    ("rudi", ("trainer",), 404), ("adi", ("admin",), 200)):
        make_user(username, roles=roles, unit=org["branch_a"])
        client = app.test_client()
        login(client, username)
        assert client.get(f"/grading/file/{row.id}").status_code == status, username
    assert app.test_client().get(f"/grading/file/{row.id}").status_code in (302, 401)
