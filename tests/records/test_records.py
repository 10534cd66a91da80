"""Adding records with evidence: files checked by content, stored under random names outside
the web root, served only to the people allowed to see the record."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.records import storage
from lms.plugins.records.models import SUBMITTED, ExternalTraining
from tests.conftest import post_form
from tests.records.conftest import PDF, PNG, add_record


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(ExternalTraining))


def _files(app) -> list[Path]:
    folder = Path(app.config["RECORDS_EVIDENCE_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _only_record() -> ExternalTraining:
    db.session.expire_all()
    return db.session.scalars(select(ExternalTraining)).one()


def test_evidence_dir_is_in_the_instance_folder_not_the_web_root(app):
    folder = Path(app.config["RECORDS_EVIDENCE_DIR"]).resolve()
    assert folder == (Path(app.instance_path) / "evidence").resolve()
    assert Path(app.static_folder).resolve() not in folder.parents


def test_librarian_adds_a_record_with_a_pdf(app, people):
    response = add_record(people["lib_a"], PDF, "Sertifikat Seminar.pdf", jp="12.5")
    assert response.status_code == 302
    record = _only_record()
    assert (record.user_id, record.entered_by_id, record.status) == (people["lib_a"].user.id,
                                                                      people["lib_a"].user.id, SUBMITTED)
    assert (record.kind, record.topic, record.provider, record.jp) == ("seminar", "Digital preservation",
                                                                      "Perpusnas", 12.5)
    assert record.evidence_type == "application/pdf"
    assert record.evidence_size == len(PDF)
    assert record.evidence_sha256 == hashlib.sha256(PDF).hexdigest()
    assert record.evidence_name == "Sertifikat_Seminar.pdf"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", record.evidence_stored)
    files = _files(app)
    assert [f.name for f in files] == [record.evidence_stored]
    assert files[0].read_bytes() == PDF
    page = people["lib_a"].get("/records/").get_data(as_text=True)
    assert "Digital preservation" in page and "Waiting for verification" in page and "12.5" in page


def test_a_png_is_kept_as_an_image(app, people):
    assert add_record(people["lib_a"], PNG, "foto.png").status_code == 302
    record = _only_record()
    assert (record.evidence_type, record.evidence_name) == ("image/png", "foto.png")
    assert record.evidence_stored.endswith(".png")


def test_the_type_comes_from_the_content_not_the_name(app, people):
    for data in (b"<!DOCTYPE html><html><script>alert(1)</script></html>", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 60,
                 b"GIF89a\x01\x00\x01\x00", b"RIFF\x00\x00\x00\x00WAVEfmt "):
        response = add_record(people["lib_a"], data, "sertifikat.pdf")
        assert response.status_code == 400
        assert "must be a PDF, PNG, JPEG or WebP file" in response.get_data(as_text=True)
        assert 'value="Digital preservation"' in response.get_data(as_text=True)  # values kept
    assert _count() == 0
    assert _files(app) == []


def test_a_png_named_pdf_is_stored_and_served_as_png(app, people):
    assert add_record(people["lib_a"], PNG, "letter.pdf").status_code == 302
    record = _only_record()
    assert (record.evidence_type, record.evidence_name) == ("image/png", "letter.pdf.png")


def test_webp_and_jpeg_are_recognised():
    assert storage.sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert storage.sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert storage.sniff(b"%PDF-1.7") == "application/pdf"
    assert storage.sniff(b"PDF-1.7") is None


def test_an_oversize_file_is_refused_with_the_limit(app, people):
    app.config["RECORDS_MAX_BYTES"] = 1000
    response = add_record(people["lib_a"], PDF + b"0" * 1000, "big.pdf")
    assert response.status_code == 400
    assert "too large" in response.get_data(as_text=True)
    assert _count() == 0 and _files(app) == []
    assert add_record(people["lib_a"], PDF, "small.pdf").status_code == 302  # under the limit: fine


def test_default_limit_is_5_mb(app):
    assert app.config["RECORDS_MAX_BYTES"] == 5 * 1024 * 1024


def test_path_tricks_in_the_file_name_are_neutralised(app, people, tmp_path):
    response = add_record(people["lib_a"], PDF, "../../etc/passwd")
    assert response.status_code == 302
    record = _only_record()
    assert record.evidence_name == "etc_passwd.pdf"
    assert "/" not in record.evidence_name and ".." not in record.evidence_name
    files = _files(app)
    assert [f.name for f in files] == [record.evidence_stored] and "passwd" not in record.evidence_stored
    assert not (tmp_path / "etc").exists()
    download = people["lib_a"].get(f"/records/{record.id}/evidence")
    assert 'filename=etc_passwd.pdf' in download.headers["Content-Disposition"]


def test_missing_fields_and_bad_values_reshow_the_form(app, people):
    client = people["lib_a"]
    cases = {
        "jp": ("0", "JP must be more than 0 and at most 200."),
        "end_on": ("2026-03-01", "The end date cannot be before the start date."),
        "topic": ("", "This field is required."),
        "kind": ("holiday", "Not a valid choice"),
    }
    for name, (value, message) in cases.items():
        response = add_record(client, **{name: value})
        assert response.status_code == 400, name
        assert message in response.get_data(as_text=True), name
    response = add_record(client, jp="250")
    assert "JP must be more than 0 and at most 200." in response.get_data(as_text=True)
    assert _count() == 0 and _files(app) == []


def test_evidence_is_required(app, people):
    client = people["lib_a"]
    from tests.conftest import csrf_token
    from tests.records.conftest import record_form

    data = record_form(user_id=str(client.user.id), csrf_token=csrf_token(client, "/records/new"))
    response = client.post("/records/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Attach the evidence file." in response.get_data(as_text=True)
    assert _count() == 0


def test_new_record_without_csrf_is_refused(app, people):
    from io import BytesIO

    from tests.records.conftest import record_form

    data = record_form(user_id=str(people["lib_a"].user.id), evidence=(BytesIO(PDF), "a.pdf"))
    response = people["lib_a"].post("/records/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _count() == 0 and _files(app) == []


def test_a_librarian_cannot_add_for_someone_else(app, people):
    response = add_record(people["lib_a"], user_id=str(people["lib_a2"].user.id))
    assert response.status_code == 400
    assert _count() == 0


def test_supervisor_adds_for_someone_in_their_units_only(app, people):
    sup = people["sup_a"]
    page = sup.get("/records/new").get_data(as_text=True)
    assert "Lib-A" in page and "Lib-B" not in page
    assert add_record(sup, user_id=str(people["lib_b"].user.id)).status_code == 400  # other branch
    assert _count() == 0
    assert add_record(sup, user_id=str(people["lib_a"].user.id)).status_code == 302  # section below branch A
    record = _only_record()
    assert (record.user_id, record.entered_by_id) == (people["lib_a"].user.id, sup.user.id)


def test_evidence_goes_to_the_owner_and_their_supervisors_only(app, people):
    add_record(people["lib_a"], PNG, "foto.png")
    record = _only_record()
    url = f"/records/{record.id}/evidence"
    for name in ("lib_a", "sup_a", "admin"):
        response = people[name].get(url)
        assert response.status_code == 200, name
        assert response.data == (Path(app.config["RECORDS_EVIDENCE_DIR"]) / record.evidence_stored).read_bytes()
        assert response.mimetype == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Disposition"].startswith("inline")
    for name in ("lib_b", "lib_a2", "sup_b"):
        assert people[name].get(url).status_code == 404, name
        assert people[name].get(f"/records/{record.id}").status_code == 404, name


def test_a_pdf_is_downloaded_not_shown(app, people):
    add_record(people["lib_a"], PDF, "s.pdf")
    response = people["lib_a"].get(f"/records/{_only_record().id}/evidence")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=s.pdf"


def test_stored_names_are_never_taken_from_outside():
    import pytest

    for bad in ("../secret_key", "a.pdf", "/etc/passwd", "0" * 32 + ".html"):
        with pytest.raises(storage.EvidenceError):
            storage.path_of(bad)


def test_owner_edits_and_deletes_while_submitted(app, people):
    client = people["lib_a"]
    add_record(client, PDF, "one.pdf")
    record = _only_record()
    old_file = record.evidence_stored
    from io import BytesIO

    from tests.conftest import csrf_token
    from tests.records.conftest import record_form

    data = record_form(user_id=str(client.user.id), jp="8", topic="Changed topic",
                       csrf_token=csrf_token(client, f"/records/{record.id}/edit"), evidence=(BytesIO(PNG), "two.png"))
    response = client.post(f"/records/{record.id}/edit", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    record = _only_record()
    assert (record.jp, record.topic, record.evidence_type) == (8.0, "Changed topic", "image/png")
    assert [f.name for f in _files(app)] == [record.evidence_stored] and record.evidence_stored != old_file
    # someone else cannot change or delete it
    assert people["lib_b"].get(f"/records/{record.id}/edit").status_code == 404
    response = post_form(client, f"/records/{record.id}/delete", {}, token_from=f"/records/{record.id}")
    assert response.status_code == 302
    assert _count() == 0 and _files(app) == []


def test_display_names_are_safe():
    assert storage.display_name("..\\..\\windows\\win.ini", "application/pdf") == "windows_win.ini.pdf"
    assert storage.display_name("....", "image/png") == "evidence.png"
    assert storage.display_name(None, "image/webp") == "evidence.webp"
    assert storage.display_name("scan.JPEG", "image/jpeg") == "scan.jpg"
    assert storage.display_name("x" * 500 + ".pdf", "application/pdf") == "x" * 116 + ".pdf"


def test_pages_render_in_the_default_language(client_as):
    client = client_as("librarian")
    assert client.get("/records/").status_code == 200
    assert client.get("/records/new").status_code == 200
    assert client_as("supervisor").get("/records/review").status_code == 200
