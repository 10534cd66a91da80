"""A sample course with a practical module: a class-number question, a single choice and
an essay with a rubric (6 points: 2 + 1 + 3), imported into the test database."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Module, Question
from tests.conftest import csrf_token, login

COURSE = """---
title:
  id: Kursus Praktik
  en: Practice Course
topic: cataloguing
summary:
  id: Kursus dengan tugas praktik.
  en: A course with a practical task.
level: beginner
authors: [Tim Uji, Tono Trainer]
version: "1.0"
jp: 3
competencies: [cat-classification]
---
Pengantar.
"""

PRAKTIK = """---
title:
  id: Praktik deskripsi
  en: Description practice
objectives: [Membuat deskripsi RDA.]
competencies: [cat-classification]
minutes: 30
pass_mark: 60
---
Pembuka.

## Pelajaran
Isi pelajaran.

## Kuis

```quiz
id: ddc-sejarah-kalteng
type: classnumber

Nomor kelas DDC untuk sejarah Kalimantan Tengah?

= 959.83
```

```quiz
id: rda-inti
type: single

Unsur inti?

- [x] Judul
- [ ] Warna sampul
```

```quiz
id: praktik-deskripsi-rda
type: essay
points: 6
upload: optional
words: 3-400

Buat deskripsi RDA untuk buku *Sejarah Kalimantan Tengah*.

- Kelengkapan unsur inti
  - 0: Lebih dari dua unsur inti tidak ada.
  - 1: Satu atau dua unsur inti tidak ada.
  - 2: Semua unsur inti ada.
- Tanda baca ISBD
  - 0: Banyak tanda baca salah.
  - 1: Sebagian besar benar.
- Titik akses
  - 0: Tidak ada.
  - 1.5: Sebagian.
  - 3: Lengkap.

> Bandingkan dengan contoh di pelajaran.
```
"""

ESSAY_TEXT = "Judul: Sejarah Kalimantan Tengah. Penerbit: Dinas Perpustakaan, 2020."


def _png() -> bytes:
    """A small real PNG (the evidence storage decodes and rewrites images)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def import_practical(course_root):
    """Import the sample course plus the practical module (a course of its own); the module."""
    from lms.plugins.courses.services import import_courses

    folder = course_root / "praktik"
    folder.mkdir()
    (folder / "course.md").write_text(COURSE, encoding="utf-8")
    (folder / "01-praktik.md").write_text(PRAKTIK, encoding="utf-8")
    report = import_courses([course_root])
    assert report.ok, report.problems
    return module("praktik")


@pytest.fixture
def practical(app, course_root):
    """The sample course plus the practical module, imported; the module."""
    return import_practical(course_root)


def module(slug: str = "praktik") -> Module:
    db.session.expire_all()
    return db.session.scalar(select(Module).where(Module.slug == slug))


def question(qid: str) -> Question:
    return db.session.scalar(select(Question).where(Question.qid == qid).order_by(Question.id.desc()))


def start(client, module_slug: str = "praktik") -> int:
    token = csrf_token(client, f"/quiz/praktik/{module_slug}/")
    response = client.post(f"/quiz/praktik/{module_slug}/start", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/quiz/attempt/(\d+)$", response.headers["Location"]).group(1))


def answers_form(client, attempt_id: int, essay: str = ESSAY_TEXT, ddc: str = "959,83") -> dict:
    """A full answer: the class number, the right choice, the essay text."""
    page = client.get(f"/quiz/attempt/{attempt_id}").get_data(as_text=True)
    single = question("rda-inti")
    value = re.search(rf'name="q-{single.id}" value="(\d+)"[^>]*> <span>Judul</span>', page).group(1)
    return {"csrf_token": csrf_token(client, f"/quiz/attempt/{attempt_id}"),
            f"q-{question('ddc-sejarah-kalteng').id}": ddc, f"q-{single.id}": value,
            f"q-{question('praktik-deskripsi-rda').id}": essay}


def read_lessons(client) -> None:
    """Open every lesson of the practical module (completion needs them seen)."""
    page = client.get("/courses/praktik/praktik/").get_data(as_text=True)
    for slug in sorted(set(re.findall(r'href="/courses/praktik/praktik/([a-z0-9-]+)"', page))):
        assert client.get(f"/courses/praktik/praktik/{slug}").status_code == 200


def submit(client, attempt_id: int, **kwargs):
    response = client.post(f"/quiz/attempt/{attempt_id}/submit", data=answers_form(client, attempt_id, **kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def learner(app, make_user, org, practical):
    user = make_user("ani", roles=("librarian",), unit=org["branch_a"])
    client = app.test_client()
    assert login(client, "ani").status_code == 302
    client.user = user
    return client


@pytest.fixture
def trainer(app, make_user, org, practical):
    user = make_user("tono", roles=("trainer",), unit=org["branch_a"], full_name="Tono Trainer")  # a course author
    client = app.test_client()
    assert login(client, "tono").status_code == 302
    client.user = user
    return client
