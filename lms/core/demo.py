"""The demo organisation: Perpustakaan Kota Palangkaraya, its branches, sections and staff.

Idempotent: units are matched by code and users by username, so a second run changes
nothing. Plugins add their own demo data through the ``lms_demo_seed`` hook.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lms import logos, organisations
from lms.auth import services
from lms.auth.models import Organisation, OrganisationRole, Unit, User
from lms.extensions import db

DEMO_PASSWORD = "pembina-demo"

# The library whose story the plugins' demos tell (needs round, a year of learning,
# evaluations); the second library gets a smaller one of its own (issue 20).
HOME_LIBRARY = "pkp"
SECOND_LIBRARY = "kotim"

# (code, name, kind, parent code)
DEMO_UNITS: list[tuple[str, str, str, str | None]] = [
    ("kalteng", "Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Tengah", "library", None),
    ("pkp", "Perpustakaan Kota Palangkaraya", "library", "kalteng"),
    ("layanan", "Bidang Layanan dan Sirkulasi", "section", "pkp"),
    ("pengolahan", "Bidang Pengolahan Bahan Pustaka", "section", "pkp"),
    ("tik", "Seksi Teknologi Informasi dan Perpustakaan Digital", "section", "pkp"),
    ("cabang-jekan-raya", "Perpustakaan Cabang Jekan Raya", "branch", "pkp"),
    ("cabang-pahandut", "Perpustakaan Cabang Pahandut", "branch", "pkp"),
    ("cabang-sabangau", "Perpustakaan Cabang Sabangau", "branch", "pkp"),
    ("pusling", "Layanan Perpustakaan Keliling", "section", "layanan"),
    # The second library of the province, in Sampit: its own admin, staff and private course.
    ("kotim", "Perpustakaan Daerah Kabupaten Kotawaringin Timur", "library", "kalteng"),
    ("kotim-layanan", "Bidang Layanan Perpustakaan", "section", "kotim"),
    ("kotim-pengolahan", "Bidang Pengolahan dan Pelestarian Bahan Pustaka", "section", "kotim"),
    ("kotim-baamang", "Perpustakaan Cabang Baamang", "branch", "kotim"),
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

# The second library's people and the provincial supervisor: (username, full name, roles, unit,
# position, e-mail domain). Names as staff lists write them, titles included.
SECOND_LIBRARY_ACCOUNTS: list[tuple[str, str, list[str], str, str]] = [
    ("theresia", "Dra. Maria Theresia Lambung, M.Si.", ["supervisor"], "kalteng",
     "Kepala Bidang Pembinaan Perpustakaan"),
    ("rahmah", "Hj. Siti Rahmah, S.Sos., M.AP.", ["supervisor", "librarian"], "kotim", "Kepala Perpustakaan Daerah"),
    ("hendra", "Hendra Saputra, S.Kom.", ["librarian"], "kotim", "Pranata Komputer Ahli Pertama"),
    ("yohana", "Yohana Dewi Lestari, S.Hum.", ["librarian"], "kotim-layanan", "Pustakawan Ahli Pertama"),
    ("ahmad", "Ahmad Fauzi Rahman, A.Md.", ["librarian"], "kotim-layanan", "Asisten Perpustakaan Terampil"),
    ("sri", "Sri Wahyuningsih", ["librarian"], "kotim-layanan", "Pengelola Layanan Perpustakaan"),
    ("norhasanah", "Norhasanah, S.I.P.", ["librarian"], "kotim-pengolahan", "Pustakawan Ahli Muda"),
    ("riduan", "Muhammad Riduan", ["librarian"], "kotim-pengolahan", "Asisten Perpustakaan Mahir"),
    ("elisabet", "Elisabet Uneng, S.Pd.", ["librarian"], "kotim-baamang", "Pustakawan Ahli Pertama"),
    ("junaidi", "Junaidi Arbain", ["librarian"], "kotim-baamang", "Pengelola Layanan Perpustakaan"),
]
# Who administers one library only (organisation roles, docs/organisations.md section 2).
DEMO_ORGANISATION_ROLES = [("hendra", "kotim", "admin")]
MAIL_DOMAINS = {"kalteng": "dispursip.kalteng.example", "kotim": "perpustakaan.kotim.example"}

# The demo library's own settings (lms.organisations): nothing about it lives in code or
# templates, so a second library in the same install reads its own. The NIP is made up.
DEMO_ORGANISATIONS: dict[str, dict] = {
    "pkp": {"full_name": "Perpustakaan Kota Palangkaraya", "short_name": "Perpuskot Palangka Raya",
            "time_zone": "Asia/Jakarta", "jp_target": 20, "default_locale": "id",
            "signatory_name": "Erlina Simanjuntak, S.Sos., M.Si.",
            "signatory_position": "Kepala Perpustakaan Kota Palangkaraya",
            "signatory_nip": "197805122003122004",
            "email_signature": "Pembina, Perpustakaan Kota Palangkaraya"},
    "kalteng": {"full_name": "Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Tengah",
                "short_name": "Dispursip Kalteng", "time_zone": "Asia/Jakarta", "jp_target": 20,
                "default_locale": "id", "signatory_name": "Dra. Maria Theresia Lambung, M.Si.",
                "signatory_position": "Kepala Bidang Pembinaan Perpustakaan",
                "signatory_nip": "197003151995032002",
                "email_signature": "Pembina, Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Tengah"},
    "kotim": {"full_name": "Perpustakaan Daerah Kabupaten Kotawaringin Timur", "short_name": "Perpusda Kotim",
              "time_zone": "Asia/Jakarta", "jp_target": 24, "default_locale": "id",
              "signatory_name": "Hj. Siti Rahmah, S.Sos., M.AP.",
              "signatory_position": "Kepala Perpustakaan Daerah Kabupaten Kotawaringin Timur",
              "signatory_nip": "197609212001122003",
              "email_signature": "Salam literasi,\nPerpustakaan Daerah Kabupaten Kotawaringin Timur, Sampit"},
}

# Each demo library's logo: a small PNG shipped with the package (lms/core/data), stored like
# an uploaded one (lms.logos), so it is re-encoded and served the same way.
DEMO_LOGOS: dict[str, str] = {"pkp": "demo-logo.png"}
DATA_DIR = Path(__file__).resolve().parent / "data"

# Heads of units who supervise them: (username, unit code)
DEMO_SUPERVISION = [("citra", "cabang-jekan-raya"), ("erlina", "pkp"), ("frans", "cabang-pahandut"),
                    ("rahmah", "kotim"), ("theresia", "kalteng")]


def library_members(code: str = HOME_LIBRARY) -> Select:
    """Ids of the users of the demo library ``code`` (its units down to the next library). Each
    plugin's demo tells its story for one library, so the second library's people never shift
    the first one's figures (the draws follow a fixed seed in username order)."""
    library = select(Unit.id).where(Unit.code == code).scalar_subquery()
    return select(User.id).join(Unit, Unit.id == User.unit_id).where(Unit.organisation_id == library)


def _library_code(unit_code: str) -> str:
    """The demo library a unit belongs to: the nearest unit at or above it that is one."""
    parents = {code: parent for code, _name, _kind, parent in DEMO_UNITS}
    while unit_code not in DEMO_ORGANISATIONS and parents.get(unit_code):
        unit_code = parents[unit_code]
    return unit_code


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
    people += SECOND_LIBRARY_ACCOUNTS
    for username, full_name, roles, unit_code, position in people:
        if username in existing:
            continue
        domain = MAIL_DOMAINS.get(_library_code(unit_code), "perpustakaan.palangkaraya.example")
        services.create_user(username=username, full_name=full_name, roles=roles, unit=units[unit_code],
                             position=position, password=DEMO_PASSWORD, email=f"{username}@{domain}", commit=False)
        added["users"] += 1
    db.session.flush()
    for username, unit_code, role in DEMO_ORGANISATION_ROLES:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and units[unit_code].id not in user.organisations_for(role):
            user.organisation_roles.append(OrganisationRole(organisation_id=units[unit_code].id, role=role))
    for username, unit_code in DEMO_SUPERVISION:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and units[unit_code] not in user.supervised_units:
            user.supervised_units.append(units[unit_code])
    db.session.commit()
    log(_("Demo organisation: %(units)d unit(s) and %(users)d user(s) added.", units=added["units"],
          users=added["users"]))
    return added
