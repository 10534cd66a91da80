"""Authoring in the browser: check and preview, drafts, publish, versions and diff, download."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.courses.models import Module, ModuleDraft, ModuleVersion
from lms.plugins.courses.services import import_courses
from tests.conftest import csrf_token, post_form

EDIT = "/authoring/contoh/marc/edit"


@pytest.fixture
def app(english_app):
    """An English app (folder imports in a test body report in English)."""
    return english_app


@pytest.fixture
def trainer(client_as, imported):
    """A trainer reading English: these tests assert the English problem messages (the
    Indonesian ones are checked in test_messages_i18n.py)."""
    client = client_as("trainer")
    client.user.locale = "en"
    db.session.commit()
    return client


def _marc() -> Module:
    db.session.expire_all()
    return db.session.scalar(select(Module).where(Module.slug == "marc"))


def _source() -> str:
    return _marc().current_version.source


def _versions() -> int:
    return db.session.scalar(select(func.count(ModuleVersion.id)))


def test_only_trainers_and_admins_author(client_as, imported):
    assert client_as("librarian").get("/authoring/").status_code == 403
    assert client_as("supervisor").get(EDIT).status_code == 403
    assert client_as("admin").get("/authoring/").status_code == 200


def test_index_lists_courses_and_modules(client_as, imported):
    client = client_as("trainer")
    client.user.locale = "id"  # an Indonesian reader (this app's default is English): id titles
    db.session.commit()
    page = client.get("/authoring/").get_data(as_text=True)
    assert "Kursus Contoh" in page and 'href="/authoring/contoh/marc/edit"' in page
    assert 'href="/authoring/contoh/download"' in page


def test_editor_shows_the_published_markdown(trainer):
    page = trainer.get(EDIT).get_data(as_text=True)
    assert "id: marc-245" in page and "Ruas mana yang memuat judul?" in page


def test_check_reports_problems_with_line_numbers_and_saves_nothing(trainer):
    broken = _source().replace("- [x] 245", "- [ ] 245")
    expected_line = broken.split("\n").index("- [ ] 100") + 1  # the first choice
    before = _versions()
    response = post_form(trainer, EDIT, {"source": broken, "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no correct answer" in page and f'data-line="{expected_line}"' in page
    assert _versions() == before and db.session.scalar(select(func.count(ModuleDraft.id))) == 0


def test_preview_is_sanitised(trainer):
    text = _source().replace("Pembuka modul.", 'Pembuka <script>alert(1)</script><img src=x onerror="alert(2)">')
    page = post_form(trainer, EDIT, {"source": text, "action": "preview"}).get_data(as_text=True)
    preview = page[page.index('id="preview"'):]
    assert "alert(1)" not in preview and "onerror" not in preview and "Pembuka" in preview


def test_draft_is_saved_even_with_problems_and_shown_again(trainer):
    text = _source() + "\n```quiz\nid: broken\n\nNo answers\n```\n"
    response = post_form(trainer, EDIT, {"source": text, "action": "save"})
    assert response.status_code == 422
    draft = db.session.scalar(select(ModuleDraft))
    assert draft.source == text.replace("\r\n", "\n")
    assert "id: broken" in trainer.get(EDIT).get_data(as_text=True)
    assert "Draft" in trainer.get("/authoring/").get_data(as_text=True) or \
        "Draf" in trainer.get("/authoring/").get_data(as_text=True)
    assert _versions() == 2  # nothing published


def test_publish_creates_a_new_version_that_learners_see(trainer, client_as):
    text = _source().replace("Ruas **245** memuat judul.", "Ruas **245** memuat pernyataan judul.")
    post_form(trainer, EDIT, {"source": text, "action": "save"})
    response = post_form(trainer, EDIT, {"source": text, "action": "publish"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/authoring/contoh/marc/versions")
    marc = _marc()
    assert [v.number for v in marc.versions] == [1, 2]
    assert marc.current_version.origin == "web" and marc.current_version.created_by_id == trainer.user.id
    assert db.session.scalar(select(func.count(ModuleDraft.id))) == 0
    assert "memuat judul." in marc.versions[0].lessons[0].html  # version 1 untouched
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "module.published"))
    assert audit.details["version"] == 2 and audit.actor_id == trainer.user.id
    reader = client_as("librarian")
    page = reader.get("/courses/contoh/marc/ruas-dan-indikator").get_data(as_text=True)
    assert "memuat pernyataan judul." in page


def test_publishing_invalid_markdown_is_refused(trainer):
    before = _versions()
    broken = _source().replace("id: marc-multi", "id: marc-245")  # duplicate id
    response = post_form(trainer, EDIT, {"source": broken, "action": "publish"})
    assert response.status_code == 422
    assert "used twice" in response.get_data(as_text=True) or "twice" in response.get_data(as_text=True)
    assert _versions() == before


def test_question_ids_must_stay_unique_across_the_course(trainer):
    text = _source().replace("id: marc-tf", "id: ddc-num")
    response = post_form(trainer, EDIT, {"source": text, "action": "publish"})
    assert response.status_code == 422 and "ddc-num" in response.get_data(as_text=True)


def test_publishing_unchanged_text_makes_no_version(trainer):
    before = _versions()
    post_form(trainer, EDIT, {"source": _source(), "action": "publish"})
    assert _versions() == before


def test_live_preview_json_and_its_csrf(trainer):
    url = "/authoring/contoh/marc/preview"
    token = csrf_token(trainer, EDIT)
    response = trainer.post(url, data={"source": "---\ntitle: x\n---\n## A\nteks **tebal**"},
                            headers={"X-CSRFToken": token})
    data = response.get_json()
    assert response.status_code == 200 and "<strong>tebal</strong>" in data["html"]
    assert any("objectives" in p["message"] for p in data["problems"])
    assert all(isinstance(p["line"], int) for p in data["problems"])
    assert trainer.post(url, data={"source": "x"}).status_code == 400  # no token


def test_editor_post_without_csrf_is_refused(trainer):
    before = _versions()
    assert trainer.post(EDIT, data={"source": _source() + "\nextra", "action": "publish"}).status_code == 400
    assert _versions() == before


def test_versions_page_shows_the_diff(trainer):
    text = _source().replace("Pembuka modul.", "Pembuka modul yang diperbarui.")
    post_form(trainer, EDIT, {"source": text, "action": "publish"})
    page = trainer.get("/authoring/contoh/marc/versions?from=1&to=2").get_data(as_text=True)
    assert '<span class="diff-del">-Pembuka modul.</span>' in page
    assert '<span class="diff-add">+Pembuka modul yang diperbarui.</span>' in page


def test_folder_import_after_a_web_edit_reports_a_conflict(trainer, imported):
    text = _source().replace("Pembuka modul.", "Diubah di peramban.")
    post_form(trainer, EDIT, {"source": text, "action": "publish"})
    path = imported / "contoh" / "01-marc.md"
    path.write_text(path.read_text().replace("Pembuka modul.", "Diubah di berkas."))
    report = import_courses([imported])
    assert not report.ok and "conflict" in report.problems[0]
    assert _marc().current_version.number == 2


def test_download_gives_the_course_as_markdown(trainer, tmp_path):
    response = trainer.get("/authoring/contoh/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"contoh/course.md", "contoh/01-marc.md", "contoh/02-ddc.md", "contoh/gambar/titik.png",
            "topics.yml", "competencies.yml"} <= names
    assert archive.read("contoh/01-marc.md").decode() == _source()
    archive.extractall(tmp_path / "unzipped")
    before = _versions()
    assert import_courses([tmp_path / "unzipped"]).ok and _versions() == before


def test_new_module_starts_as_a_draft_and_publishes(trainer):
    response = post_form(trainer, "/authoring/contoh/new", {"slug": "baru", "title": "Modul Baru"},
                         token_from="/authoring/")
    assert response.status_code == 302
    module = db.session.scalar(select(Module).where(Module.slug == "baru"))
    assert module.active is False and module.current_version is None and module.position == 3
    assert trainer.get("/courses/contoh/baru/").status_code == 404  # not published yet
    text = trainer.get("/authoring/contoh/baru/edit").get_data(as_text=True)
    assert "Modul Baru" in text
    source = ("---\ntitle: Modul Baru\nobjectives: [Tujuan.]\ncompetencies: [cat-marc]\nminutes: 10\n---\n"
              "## Pelajaran\nIsi.\n")
    response = post_form(trainer, "/authoring/contoh/baru/edit", {"source": source, "action": "publish"})
    assert response.status_code == 302
    assert trainer.get("/courses/contoh/baru/").status_code == 200


@pytest.mark.parametrize("data", [{"slug": "Bad Slug", "title": "x"}, {"slug": "marc", "title": "x"},
                                  {"slug": "ok", "title": ""}])
def test_new_module_bad_input(trainer, data):
    before = db.session.scalar(select(func.count(Module.id)))
    post_form(trainer, "/authoring/contoh/new", data, token_from="/authoring/")
    assert db.session.scalar(select(func.count(Module.id))) == before


def test_trainer_home_shows_the_modules_panel(trainer):
    page = trainer.get("/").get_data(as_text=True)
    assert 'id="panel-my-modules"' in page and 'href="/authoring/"' in page
    assert page.count('id="panel-my-modules"') == 1  # the core placeholder gave way
