"""Fixtures for the training-record tests: two branches, a librarian and a supervisor in
each, an admin, all reading Pembina in English; real minimal evidence files as bytes."""
from __future__ import annotations

import struct
import zlib

import pytest

from lms.auth.models import UnitSupervisor
from lms.extensions import db
from tests.conftest import csrf_token, login

# A real one-page PDF (opens in a PDF reader) and a real 1x1 PNG, built here.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PNG = _png()


@pytest.fixture
def people(app, make_user, org):
    """lib_a (section A1, below branch A), lib_b (branch B), sup_a over branch A,
    sup_b over branch B, an admin. Each is a signed-in client with ``.user``."""
    specs = {
        "lib_a": (("librarian",), org["section_a1"]),
        "lib_a2": (("librarian",), org["branch_a"]),
        "lib_b": (("librarian",), org["branch_b"]),
        "sup_a": (("supervisor",), org["branch_a"]),
        "sup_b": (("supervisor",), org["branch_b"]),
        "admin": (("admin",), org["library"]),
    }
    clients = {}
    for name, (roles, unit) in specs.items():
        user = make_user(name.replace("_", "-"), roles=roles, unit=unit, locale="en")
        clients[name] = user
    db.session.add(UnitSupervisor(unit_id=org["branch_a"].id, user_id=clients["sup_a"].id))
    db.session.add(UnitSupervisor(unit_id=org["branch_b"].id, user_id=clients["sup_b"].id))
    db.session.commit()
    result = {}
    for name, user in clients.items():
        client = app.test_client()
        response = login(client, user.username)
        assert response.status_code == 302
        client.user = user
        result[name] = client
    return result


def record_form(**overrides) -> dict:
    data = {"kind": "seminar", "topic": "Digital preservation", "provider": "Perpusnas",
            "start_on": "2026-03-02", "end_on": "2026-03-03", "jp": "12", "competency_id": ""}
    data.update(overrides)
    return data


def add_record(client, file_bytes: bytes = PDF, filename: str = "sertifikat.pdf", **overrides):
    """POST the new-record form as a browser would (multipart, CSRF token from the page)."""
    from io import BytesIO

    data = record_form(**overrides)
    data.setdefault("user_id", str(client.user.id))
    data["csrf_token"] = csrf_token(client, "/records/new")
    data["evidence"] = (BytesIO(file_bytes), filename)
    return client.post("/records/new", data=data, content_type="multipart/form-data")
