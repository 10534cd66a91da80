"""The demo organisation: Perpustakaan Kota Palangkaraya, its branches, sections and staff.

Idempotent: units are matched by code and users by username, so a second run changes
nothing. Plugins add their own demo data through the ``lms_demo_seed`` hook.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from lms import logos, organisations
from lms.auth import services
from lms.auth.models import Organisation, Unit, User
from lms.extensions import db

DEMO_PASSWORD = "pembina-demo"

# (code, name, kind, parent code)
DEMO_UNITS: list[tuple[str, str, str, str | None]] = [
    ("pkp", "Perpustakaan Kota Palangkaraya", "library", None),
    ("layanan", "Bidang Layanan dan Sirkulasi", "section", "pkp"),
    ("pengolahan", "Bidang Pengolahan Bahan Pustaka", "section", "pkp"),
    ("tik", "Seksi Teknologi Informasi dan Perpustakaan Digital", "section", "pkp"),
    ("cabang-jekan-raya", "Perpustakaan Cabang Jekan Raya", "branch", "pkp"),
    ("cabang-pahandut", "Perpustakaan Cabang Pahandut", "branch", "pkp"),
    ("cabang-sabangau", "Perpustakaan Cabang Sabangau", "branch", "pkp"),
    ("pusling", "Layanan Perpustakaan Keliling", "section", "layanan"),
]

# (username, full name, roles, unit, position)
DEMO_ACCOUNTS: list[tuple[str, str, list[str], str, str]] = [
    ("ani", "Ani Rahmawati", ["librarian"], "cabang-jekan-raya", "Pustakawan Ahli Pertama"),
    ("budi", "Budi Santoso", ["trainer"], "pengolahan", "Pustakawan Ahli Madya"),
    ("citra", "Citra Lestari", ["supervisor"], "cabang-jekan-raya", "Kepala Perpustakaan Cabang"),
    ("admin", "Administrator Pembina", ["admin"], "pkp", "Pranata Komputer"),
]

DEMO_STAFF: list[tuple[str, str, str, str]] = [
    ("dewi", "Dewi Kartika Sari", "cabang-jekan-raya", "Asisten Perpustakaan Mahir"),
    ("eko", "Eko Prasetyo", "cabang-jekan-raya", "Pustakawan Ahli Pertama"),
    ("fitri", "Fitri Handayani", "cabang-jekan-raya", "Asisten Perpustakaan Terampil"),
    ("gusti", "Gusti Made Arya", "cabang-pahandut", "Pustakawan Ahli Muda"),
    ("hana", "Hana Safitri", "cabang-pahandut", "Asisten Perpustakaan Mahir"),
    ("indra", "Indra Gunawan", "cabang-pahandut", "Asisten Perpustakaan Terampil"),
    ("joko", "Joko Susilo", "cabang-pahandut", "Pengelola Layanan Perpustakaan"),
    ("kurnia", "Kurnia Damayanti", "cabang-sabangau", "Pustakawan Ahli Pertama"),
    ("lukas", "Lukas Ngabut", "cabang-sabangau", "Asisten Perpustakaan Mahir"),
    ("maya", "Maya Anggraini", "cabang-sabangau", "Pengelola Layanan Perpustakaan"),
    ("nanda", "Nanda Pratama", "layanan", "Pustakawan Ahli Muda"),
    ("oktaviani", "Oktaviani Putri", "layanan", "Asisten Perpustakaan Mahir"),
    ("putu", "Putu Wirawan", "layanan", "Asisten Perpustakaan Terampil"),
    ("rina", "Rina Marlina", "pusling", "Pengelola Layanan Perpustakaan"),
    ("samuel", "Samuel Dohong", "pusling", "Pengemudi Perpustakaan Keliling"),
    ("tari", "Tari Wulandari", "pengolahan", "Pustakawan Ahli Pertama"),
    ("usman", "Usman Hakim", "pengolahan", "Asisten Perpustakaan Mahir"),
    ("vina", "Vina Oktaviana", "pengolahan", "Asisten Perpustakaan Terampil"),
    ("wahyu", "Wahyu Hidayat", "tik", "Pranata Komputer Ahli Pertama"),
    ("yosef", "Yosef Tingang", "tik", "Pustakawan Ahli Pertama"),
    ("zahra", "Zahra Nur Aini", "tik", "Pengelola Sistem Informasi"),
    ("agus", "Agus Setiawan", "layanan", "Pustakawan Ahli Madya"),
    ("bella", "Bella Natalia", "cabang-jekan-raya", "Pengelola Layanan Perpustakaan"),
    ("dimas", "Dimas Aditya", "cabang-sabangau", "Asisten Perpustakaan Terampil"),
    ("erlina", "Erlina Simanjuntak", "pkp", "Kepala Perpustakaan Kota"),
    ("frans", "Frans Tambunan", "cabang-pahandut", "Kepala Perpustakaan Cabang"),
]

# The demo library's own settings (lms.organisations): nothing about it lives in code or
# templates, so a second library in the same install reads its own. The NIP is made up.
DEMO_ORGANISATIONS: dict[str, dict] = {
    "pkp": {"full_name": "Perpustakaan Kota Palangkaraya", "short_name": "Perpuskot Palangka Raya",
            "time_zone": "Asia/Jakarta", "jp_target": 20, "default_locale": "id",
            "signatory_name": "Erlina Simanjuntak, S.Sos., M.Si.",
            "signatory_position": "Kepala Perpustakaan Kota Palangkaraya",
            "signatory_nip": "197805122003122004",
            "email_signature": "Pembina, Perpustakaan Kota Palangkaraya"},
}

# Each demo library's logo: a small PNG shipped with the package (lms/core/data), stored like
# an uploaded one (lms.logos), so it is re-encoded and served the same way.
DEMO_LOGOS: dict[str, str] = {"pkp": "demo-logo.png"}
DATA_DIR = Path(__file__).resolve().parent / "data"

# Heads of units who supervise them: (username, unit code)
DEMO_SUPERVISION = [("citra", "cabang-jekan-raya"), ("erlina", "pkp"), ("frans", "cabang-pahandut")]


def seed_demo(log: Callable[[str], None]) -> dict[str, int]:
    """Create (or leave alone) the demo organisation and return how many rows were added."""
    added = {"units": 0, "users": 0}
    units: dict[str, Unit] = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    for code, name, kind, parent in DEMO_UNITS:
        if code not in units:
            units[code] = Unit(code=code, name=name, kind=kind, parent=units.get(parent) if parent else None)
            db.session.add(units[code])
            added["units"] += 1
    db.session.flush()
    for code, settings in DEMO_ORGANISATIONS.items():
        if units[code].organisation is None:
            organisations.make_organisation(units[code], **settings)
    organisations.assign_organisations()
    for code, filename in DEMO_LOGOS.items():
        organisation = db.session.get(Organisation, units[code].id)
        if organisation is not None and organisation.logo is None:
            organisation.logo = logos.store((DATA_DIR / filename).read_bytes())

    existing = set(db.session.scalars(select(User.username)))
    people = [(u, n, r, unit, pos) for u, n, r, unit, pos in DEMO_ACCOUNTS]
    people += [(u, n, ["supervisor", "librarian"] if u in ("erlina", "frans") else ["librarian"], unit, pos)
               for u, n, unit, pos in DEMO_STAFF]
    for username, full_name, roles, unit_code, position in people:
        if username in existing:
            continue
        services.create_user(username=username, full_name=full_name, roles=roles, unit=units[unit_code],
                             position=position, password=DEMO_PASSWORD,
                             email=f"{username}@perpustakaan.palangkaraya.example", commit=False)
        added["users"] += 1
    db.session.flush()
    for username, unit_code in DEMO_SUPERVISION:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and units[unit_code] not in user.supervised_units:
            user.supervised_units.append(units[unit_code])
    db.session.commit()
    log(_("Demo organisation: %(units)d unit(s) and %(users)d user(s) added.", units=added["units"],
          users=added["users"]))
    return added
