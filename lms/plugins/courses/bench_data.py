"""Courses for the synthetic benchmark data (``lms demo --scale N``).

The three real courses are imported from ``courses/`` when the database has none, and
generated courses are added to reach about 60 modules at N = 5,000 (5 to 45 generated
modules, in proportion to N). Generated modules are written as Markdown files in a
temporary folder and go through the real importer, so they are rendered, sanitised and
versioned like any trainer's module - three lessons of ~350 words and eight quiz questions
of all seven types each, mapped to the framework's competencies. The importer renders
~30 modules a second, so going around it with bulk rows would save little and prove less.
"""
from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path

import yaml
from sqlalchemy import func, select

from lms.core.bench_data import ScaleError, timed
from lms.extensions import db
from lms.plugins.courses import services
from lms.plugins.courses.cli import DEFAULT_PATH
from lms.plugins.courses.models import Competency, Course, Module, Topic

SEED = 61
GENERATED_PER_5000 = 45  # generated modules at N = 5,000 (with the 15 real ones: 60)
MIN_GENERATED, MAX_GENERATED = 5, 45
MODULES_PER_COURSE = 5
SLUG_PREFIX = "skala-"

# Course titles per competency area (the prefix of competency ids); others get a numbered title.
TITLES = {
    "cat": ["Katalogisasi Lanjutan", "Pengolahan Bahan Nonbuku", "Kendali Mutu Katalog"],
    "dig": ["Perpustakaan Digital Terapan", "Kehumasan Digital Perpustakaan", "Literasi Informasi untuk Pemustaka"],
    "cs": ["Layanan Referensi Lanjutan", "Layanan Anak dan Remaja", "Pelayanan Prima di Perpustakaan"],
}
PARTS = ["Dasar-dasar", "Perencanaan", "Praktik di meja layanan", "Studi kasus cabang", "Evaluasi dan tindak lanjut",
         "Kerja sama antarunit", "Dokumentasi", "Mutu dan standar"]
SENTENCES = [
    "Dalam pekerjaan sehari-hari, {a} selalu berkaitan dengan {b}.",
    "Petugas perlu memeriksa {a} sebelum menyelesaikan {b}.",
    "Kesalahan kecil pada {a} dapat membuat {b} sulit dimanfaatkan pemustaka.",
    "Tim di setiap cabang sebaiknya menyepakati prosedur tertulis untuk {a}.",
    "Catat setiap perubahan pada {a} agar rekan kerja dapat menelusurinya kembali.",
    "Bandingkan hasil kerja {a} Anda dengan contoh dari Perpustakaan Nasional.",
    "Pelatihan singkat tentang {a} membantu staf baru memahami {b}.",
    "Evaluasi {a} secara berkala, misalnya setiap akhir triwulan, bersama kepala seksi.",
    "Gunakan daftar periksa agar {a} dan {b} dikerjakan dengan urutan yang sama.",
    "Pemustaka menilai mutu layanan dari cara kita menangani {a}.",
    "Perpustakaan kecil pun dapat menerapkan {a} dengan sumber daya yang ada.",
    "Laporan bulanan tentang {a} memudahkan pimpinan merencanakan {b}.",
]
SHORT = [("Tulis singkatan dari *Online Public Access Catalog*.", "OPAC"),
         ("Tulis singkatan dari *Dewey Decimal Classification*.", "DDC"),
         ("Standar isi deskripsi yang menggantikan AACR2 disebut ...", "RDA"),
         ("Istilah resmi untuk pengguna perpustakaan adalah ...", "pemustaka"),
         ("Satuan jam pelajaran dalam pelatihan aparatur disingkat ...", "JP")]
GLOSSARY = [("OPAC", "Katalog daring untuk pemustaka"), ("Sirkulasi", "Peminjaman dan pengembalian"),
            ("Referensi", "Bantuan menemukan informasi"), ("Pengolahan", "Katalogisasi dan klasifikasi"),
            ("Pusling", "Layanan perpustakaan keliling"), ("Koleksi", "Bahan pustaka yang dimiliki"),
            ("Kewenangan", "Bentuk baku nama dan subjek")]
STEPS = ["Menerima dan mencatat permintaan", "Memeriksa data yang sudah ada", "Mengerjakan sesuai prosedur",
         "Memeriksa ulang hasil bersama rekan", "Melaporkan hasil kepada kepala seksi"]


def generated_modules(scale: int) -> int:
    """How many modules to generate for ``scale`` librarians."""
    return min(MAX_GENERATED, max(MIN_GENERATED, round(GENERATED_PER_5000 * scale / 5000)))


def _paragraph(rng: random.Random, terms: list[str]) -> str:
    return " ".join(rng.choice(SENTENCES).format(a=rng.choice(terms), b=rng.choice(terms))
                    for _ in range(rng.randrange(5, 8)))


def _lesson(rng: random.Random, title: str, terms: list[str]) -> str:
    paragraphs = [_paragraph(rng, terms) for _ in range(4)]
    items = "\n".join(f"- {rng.choice(terms).capitalize()}: {rng.choice(PARTS).lower()}." for _ in range(3))
    return (f"## {title}\n\n{paragraphs[0]}\n\n{paragraphs[1]}\n\n### Yang perlu diperhatikan\n\n{items}\n\n"
            f"{paragraphs[2]}\n\n!!! tip \"Di tempat kerja\"\n    {rng.choice(SENTENCES).format(a=terms[0], b=terms[-1])}"
            f"\n\n{paragraphs[3]}\n")


def _questions(rng: random.Random, prefix: str, competencies: list[str], terms: list[str]) -> list[str]:
    """Eight quiz blocks, one of each type and two single-choice ones."""
    def block(number: int, qtype: str, body: str) -> str:
        competency = competencies[number % len(competencies)]
        return f"```quiz\nid: {prefix}-q{number}\ntype: {qtype}\ncompetency: {competency}\n\n{body}\n```"

    term = rng.choice(terms)
    first, second = rng.sample(range(1, 60), 2)
    short_q, short_a = SHORT[rng.randrange(len(SHORT))]
    pairs = rng.sample(GLOSSARY, 5)
    order = "\n".join(f"{i}. {step}" for i, step in enumerate(STEPS[:4], start=1))
    singles = [rng.sample(PARTS, 4) for _ in range(2)]
    return [
        block(1, "single", f"Manakah yang sebaiknya dilakukan **pertama** dalam {term}?\n\n"
                           f"- [x] {singles[0][0]}\n  > Benar, ini langkah awal.\n- [ ] {singles[0][1]}\n"
                           f"- [ ] {singles[0][2]}\n- [ ] {singles[0][3]}\n\n> Mulailah dari dasar."),
        block(2, "multiple", f"Pilih semua pernyataan yang benar tentang {rng.choice(terms)}.\n\n"
                             "- [x] Prosedurnya perlu ditulis dan disepakati tim\n"
                             "- [x] Hasilnya perlu diperiksa ulang secara berkala\n"
                             "- [ ] Cukup dikerjakan sekali tanpa evaluasi\n"
                             "- [ ] Hanya kepala perpustakaan yang perlu memahaminya"),
        block(3, "truefalse", f"Pekerjaan {rng.choice(terms)} tidak perlu dicatat karena semua staf sudah "
                              "hafal prosedurnya.\n\n= salah\n\n> Catatan membuat pekerjaan dapat ditelusuri."),
        block(4, "short", f"{short_q}\n\n= {short_a}"),
        block(5, "numeric", f"Sebuah cabang melayani {first} pemustaka pada hari Senin dan {second} pada hari "
                            f"Selasa. Berapa jumlah pemustaka kedua hari itu?\n\n= {first + second}"),
        block(6, "matching", "Jodohkan istilah dengan artinya.\n\n"
                             + "\n".join(f"- {left} -> {right}" for left, right in pairs[:4])
                             + f"\n- -> {pairs[4][1]}"),
        block(7, "ordering", f"Urutkan langkah kerja berikut.\n\n{order}"),
        block(8, "single", f"Apa tujuan utama {rng.choice(terms)} bagi pemustaka?\n\n"
                           f"- [ ] {singles[1][0]}\n- [x] Layanan yang lebih mudah dan tepat\n"
                           f"- [ ] {singles[1][1]}\n- [ ] {singles[1][2]}"),
    ]


def _module(rng: random.Random, course_number: int, number: int, title: str, competencies: list[str],
            terms: list[str]) -> str:
    meta = {"title": title, "objectives": [f"Memahami {terms[0]} dalam konteks {title.lower()}.",
                                           f"Menerapkan {terms[-1]} di unit kerja sendiri."],
            "competencies": competencies[:1], "minutes": 60, "pass_mark": 70}
    lessons = [_lesson(rng, f"{part}", terms) for part in rng.sample(PARTS, 3)]
    quiz = _questions(rng, f"s{course_number}m{number}", competencies, terms)
    return ("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n"
            + _paragraph(rng, terms) + "\n\n" + "\n".join(lessons) + "\n## Kuis\n\n" + "\n\n".join(quiz) + "\n")


def write_generated(root: Path, count: int) -> list[str]:
    """Write ``count`` generated modules as course folders under ``root`` (next to the
    framework files); return the course slugs."""
    rng = random.Random(SEED)
    competencies = list(db.session.scalars(select(Competency).order_by(Competency.position)))
    topics = [topic.id for topic in db.session.scalars(select(Topic).order_by(Topic.position))]
    areas: dict[str, list[Competency]] = {}
    for competency in competencies:
        areas.setdefault(competency.id.split("-", 1)[0], []).append(competency)
    area_keys = list(areas)
    slugs = []
    for course_number in range(1, math.ceil(count / MODULES_PER_COURSE) + 1):
        area = area_keys[(course_number - 1) % len(area_keys)]
        lap = (course_number - 1) // len(area_keys)
        titles = TITLES.get(area, [])
        title = titles[lap] if lap < len(titles) else f"{areas[area][0].area_name_id} {lap + 1}"
        members = areas[area]
        topic = members[0].area if members[0].area in topics else topics[0]
        slug = f"{SLUG_PREFIX}{course_number:02d}"
        folder = root / slug
        folder.mkdir()
        meta = {"title": {"id": title, "en": f"{members[0].area_name_en} {course_number}"}, "topic": topic,
                "summary": {"id": f"Kursus {title.lower()} untuk staf perpustakaan daerah.",
                            "en": f"A course in {members[0].area_name_en.lower()} for regional library staff."},
                "level": "intermediate", "authors": ["Tim Pelatihan Dinas Perpustakaan"], "version": "1.0",
                "jp": 8, "competencies": [c.id for c in members]}
        (folder / "course.md").write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
                                          + "---\n" + _paragraph(rng, [c.name_id.lower() for c in members]) + "\n",
                                          encoding="utf-8")
        first = (course_number - 1) * MODULES_PER_COURSE
        for number in range(1, min(MODULES_PER_COURSE, count - first) + 1):
            mine = rng.sample(members, min(2, len(members)))
            terms = [c.name_id.lower() for c in mine] + [c.name_id.lower() for c in members]
            text = _module(rng, course_number, number, f"{title}: {PARTS[(number - 1) % len(PARTS)]}",
                           [c.id for c in mine], terms)
            (folder / f"{number:02d}-bagian-{number}.md").write_text(text, encoding="utf-8")
        slugs.append(slug)
    return slugs


def _import(paths: list[Path]) -> services.ImportReport:
    report = services.import_courses(paths)
    if not report.ok:
        raise ScaleError("The courses could not be imported:\n" + "\n".join(report.problems[:20]))
    return report


def seed(scale: int, log) -> None:
    """Import the real courses if none are there, then the generated ones."""
    with timed(log, "courses (courses/)") as step:
        if db.session.scalar(select(func.count(Course.id))) == 0:
            if not DEFAULT_PATH.is_dir():
                raise ScaleError(f"No courses in the database and no {DEFAULT_PATH}/ folder here; "
                                 "run from the project folder or import courses first.")
            step.count("module versions", len(_import([DEFAULT_PATH]).created))
    with timed(log, "generated modules") as step, tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        services.write_framework(root)
        write_generated(root, generated_modules(scale))
        step.count("module versions", len(_import([root]).created))
    total = db.session.scalar(select(func.count(Module.id)).where(Module.active.is_(True)))
    log(f"  ({total} active modules)")
