"""Demo discussions for ``lms demo``: staff boards (the programme evaluation, good practice,
staff exchange, one branch's own board), module questions in every state (waiting,
answered, accepted, resolved), and review meetings - a past one whose minutes and decisions
link the demo needs round, and the next one.

Everything goes through the real services (rendering, search text, follows, notifications),
then the timestamps are moved into the past so the lists look lived in. Idempotent: nothing
is added when the evaluation board exists.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask import current_app
from sqlalchemy import select

from lms.auth.models import Unit, User
from lms.extensions import db
from lms.plugins.courses.models import Course, Module

EVALUATION_BOARD = "Evaluasi Program Pembinaan"

# (name, description, unit codes, roles)
BOARDS = [
    (EVALUATION_BOARD, "Rapat evaluasi berkala program pembinaan pustakawan: data kebutuhan, hasil "
     "pelatihan dan rencana berikutnya.", [], ["supervisor", "trainer", "admin"]),
    ("Berbagi Praktik Baik", "Ceritakan bagaimana Anda menerapkan materi pelatihan di meja layanan.", [], []),
    ("Pertukaran Pustakawan", "Jadwal dan pengalaman pertukaran pustakawan antarcabang.", [], []),
    ("Cabang Jekan Raya", "Ruang diskusi staf Perpustakaan Cabang Jekan Raya.", ["cabang-jekan-raya"], []),
]

# module questions: (asker, course slug, module slug, title, body, answers [(user, body)],
#                    accepted answer index or None, resolved, days ago)
QUESTIONS = [
    ("ani", "keterampilan-digital", "promosi-koleksi-di-media-sosial",
     "Kapan waktu terbaik mengunggah promosi koleksi?",
     "Di cabang kami unggahan Instagram jarang dilihat. Apakah ada jam tertentu yang lebih baik "
     "untuk mengunggah promosi koleksi baru?", [], None, False, 3),
    ("joko", "keterampilan-digital", "opac-dan-aplikasi-seluler",
     "Pemustaka tidak bisa masuk ke aplikasi seluler",
     "Beberapa pemustaka lansia lupa kata sandi aplikasi. Bagaimana prosedur atur ulang yang aman?",
     [], None, False, 6),
    ("eko", "katalogisasi", "marc21", "Ruas 245 untuk judul paralel",
     "Buku dwibahasa memiliki judul Indonesia dan Inggris. Di subruas mana judul paralel dicatat?",
     [("budi", "Judul paralel dicatat di subruas **$b** setelah tanda `=`, misalnya "
               "`245 10 $a Sejarah Palangkaraya = $b History of Palangkaraya`. Lihat juga #cat-marc."),
      ("tari", "Terima kasih, kami juga memakai ruas 246 untuk akses judul paralel.")], 0, True, 12),
    ("fitri", "layanan-pelanggan", "keluhan-dan-situasi-sulit",
     "Pemustaka marah karena denda keterlambatan",
     "Bagaimana menanggapi pemustaka yang marah di depan antrean karena denda?",
     [("budi", "Ajak ke tempat yang lebih tenang, dengarkan dulu tanpa memotong, lalu jelaskan aturan "
               "denda dan pilihan yang ada (misalnya cicilan). Catat keluhannya di buku keluhan.")],
     None, False, 4),
    ("gusti", "katalogisasi", "klasifikasi-ddc", "Notasi DDC untuk budaya Dayak",
     "Apakah buku tentang upacara adat Dayak masuk 390 atau 305.8?",
     [("tari", "Untuk adat istiadat dan upacara, kami memakai 392-394 dengan tabel wilayah "
               "Kalimantan Tengah; 305.8 untuk kajian kelompok etnis.")], None, True, 20),
]

# board threads: (board, author, title, body, replies [(user, body)], days ago)
BOARD_THREADS = [
    ("Berbagi Praktik Baik", "dewi", "Wawancara referensi di layanan anak",
     "Setelah modul wawancara referensi, saya mencoba pertanyaan terbuka kepada anak-anak: "
     "\"Ceritakan tentang tugasmu\". Hasilnya mereka lebih mudah menjelaskan kebutuhannya.",
     [("nanda", "Bagus sekali. Di layanan dewasa kami juga mulai memakai pertanyaan terbuka."),
      ("budi", "Terima kasih sudah berbagi; contoh ini akan saya masukkan ke modul berikutnya.")], 9),
    ("Pertukaran Pustakawan", "frans", "Pertukaran Pahandut - Jekan Raya bulan depan",
     "Cabang Pahandut akan mengirim dua pustakawan selama satu minggu untuk belajar pengelolaan "
     "pojok baca anak. Siapa yang bersedia menjadi pendamping di Jekan Raya?",
     [("citra", "Dewi bersedia menjadi pendamping; jadwalnya kita bahas di rapat cabang.")], 5),
    ("Cabang Jekan Raya", "citra", "Jadwal piket layanan Desember",
     "Mohon cek jadwal piket bulan Desember di papan pengumuman dan sampaikan bila ada bentrok "
     "dengan jadwal pelatihan.", [("bella", "Saya ada pelatihan tanggal 12, bisa tukar dengan Eko?")], 2),
]

PAST_MEETING = ("Rapat evaluasi program pembinaan semester II 2026",
                "1. Hasil analisis kebutuhan 2026\n2. Usulan kurikulum berikutnya\n3. Tindak lanjut per cabang")
PAST_MINUTES = ("Hasil analisis kebutuhan dibahas bersama. Promosi koleksi di media sosial dan penanganan "
                "keluhan menjadi prioritas tertinggi; katalogisasi relatif kuat.")
PAST_DECISIONS = ("- Kurikulum berikutnya mendahulukan modul media sosial dan keluhan.\n"
                  "- Setiap cabang menunjuk satu pendamping untuk praktik media sosial.")
NEXT_MEETING = ("Rapat evaluasi triwulan I 2027", "1. Kemajuan kurikulum baru\n2. Pertanyaan terbuka di modul")


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _module(course_slug: str, module_slug: str) -> Module | None:
    return db.session.scalar(select(Module).join(Course).where(Course.slug == course_slug,
                                                               Module.slug == module_slug))


def _backdate(thread_id: int, days: int) -> None:
    """Move a thread and its posts ``days`` into the past (the demo's history)."""
    from lms.plugins.discussions.models import Post, Thread

    shift = timedelta(days=days)
    thread = db.session.get(Thread, thread_id)
    for name in ("created_at", "last_post_at", "answered_at", "resolved_at"):
        if getattr(thread, name) is not None:
            setattr(thread, name, getattr(thread, name) - shift)
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread_id)):
        post.created_at = post.created_at - shift  # in Python: date arithmetic differs per database
    db.session.commit()


def _latest_closed_round_key() -> str:
    from lms.auth.models import Unit
    from lms.core.demo import HOME_LIBRARY
    from lms.plugins.needs.analysis import latest_closed_round

    home = db.session.scalar(select(Unit.id).where(Unit.code == HOME_LIBRARY))
    needs_round = latest_closed_round(organisation_id=home) if home is not None else None
    return f"needs_round:{needs_round.id}" if needs_round is not None else ""


def seed(log) -> None:
    from lms.plugins.discussions import boards, meetings, services
    from lms.plugins.discussions.models import Board

    if db.session.scalar(select(Board.id).where(Board.name == EVALUATION_BOARD)) is not None:
        log(_("Demo discussions: already present."))
        return
    admin, erlina = _user("admin"), _user("erlina")
    units = {unit.code: unit.id for unit in db.session.scalars(select(Unit))}
    if admin is None or erlina is None or "cabang-jekan-raya" not in units:
        log(_("Demo discussions skipped: run the demo organisation first."))
        return
    if _module("katalogisasi", "marc21") is None:
        log(_("Demo discussions skipped: import the courses first (lms courses import courses)."))
        return

    saved_limit = current_app.config.get("DISCUSSIONS_RATE_LIMIT")
    current_app.config["DISCUSSIONS_RATE_LIMIT"] = []  # the demo writes many posts at once
    try:
        # url_for in the link choices and notifications needs a request context
        with current_app.test_request_context("/"):
            made = {name: boards.create_board(admin, name=name, description=description,
                                              unit_ids=[units[code] for code in codes], roles=roles)
                    for name, description, codes, roles in BOARDS}
            threads = 0
            for asker, course, slug, title, body, answers, accepted, resolved, days in QUESTIONS:
                thread = services.create_thread(_user(asker), title=title, body=body,
                                                module=_module(course, slug), kind="question")
                posts = [services.reply(_user(who), thread, text) for who, text in answers]
                if accepted is not None:
                    services.accept_answer(_user(asker), posts[accepted])
                elif resolved:
                    services.set_resolved(_user(asker), thread, True)
                _backdate(thread.id, days)
                threads += 1
            for board, author, title, body, replies, days in BOARD_THREADS:
                thread = services.create_thread(_user(author), title=title, body=body, board=made[board],
                                                kind="discussion")
                for who, text in replies:
                    services.reply(_user(who), thread, text)
                _backdate(thread.id, days)
                threads += 1

            today = datetime.combine(datetime.now().date(), time(9, 0))
            link = _latest_closed_round_key()
            title, agenda = PAST_MEETING
            past = meetings.create_meeting(erlina, made[EVALUATION_BOARD], title=title,
                                           meeting_at=today - timedelta(days=30), place="Ruang rapat lantai 2",
                                           agenda=agenda, link=link or None)
            meetings.update_record(erlina, past.meeting, PAST_MINUTES, PAST_DECISIONS, link or None)
            _backdate(past.id, 35)
            title, agenda = NEXT_MEETING
            meetings.create_meeting(erlina, made[EVALUATION_BOARD], title=title,
                                    meeting_at=today + timedelta(days=21), place="Ruang rapat lantai 2",
                                    agenda=agenda, link=link or None)
    finally:
        current_app.config["DISCUSSIONS_RATE_LIMIT"] = saved_limit
    log(_("Demo discussions: %(boards)d boards, %(threads)d threads, %(meetings)d review meetings.",
          boards=len(BOARDS), threads=threads, meetings=2))
