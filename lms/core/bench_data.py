"""Synthetic data at scale: ``lms demo --scale N`` (the benchmark's data set).

The core creates the organisation - a provincial library service with its sections and a
library in each regency, each with sections of its own, ``N`` librarians spread over units
of about 20 to 300 people, one unit (*Bidang Layanan dan Sirkulasi*) holding 4 % of them
(200 at N = 5,000), and a head (supervisor) for every unit - then calls the
``lms_demo_scale`` hook: each plugin adds its own rows (courses and generated modules, quiz
attempts, lesson views and completions, a needs round). Everything is drawn from fixed
seeds, so the same N gives the same data, and scales linearly with N. With
``--organisations K`` the provincial service and the first K regency and city libraries
(:data:`LIBRARY_ORDER`) are organisations of their own: a province (issue 20).

Shared by the plugins' generators, so their data tell one story:

- :func:`people` and :func:`unit_heads` - who the synthetic librarians and their heads are;
- :class:`Abilities` - each person's latent ability (1-5) per competency: quiz answers are
  right more often, and self-assessments and supervisor ratings are higher, for the same
  people and competencies;
- :class:`Clock` - the year of activity, in working hours of the library's time zone;
- :func:`timed` - prints each step's rows and seconds and adds them to the run's totals.

Writes go through :mod:`lms.core.bulk`. Not idempotent: a second run is refused (the data
are too big to compare row by row); start from an empty database. See docs/performance.md.
"""
from __future__ import annotations

import math
import random
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from lms.pluginmanager import hook
from lms.auth.models import PASSWORD_METHOD, Organisation, Unit, UnitSupervisor, User, UserRole
from lms.auth.scoping import units_below
from lms.clock import local_zone
from lms.core.bulk import bulk_writer
from lms.core.demo import DEMO_PASSWORD
from lms.extensions import db

SEED = 5000
DAYS = 365  # the activity covers the past year
ATTEMPTS_PER_LIBRARIAN = 200  # mean quiz attempts per librarian in that year: 1M at N = 5,000
ROOT_CODE = "skala"
ROOT_NAME = "Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Tengah"
BIG_CODE = "skala-layanan"
BIG_NAME = "Bidang Layanan dan Sirkulasi"
BIG_SHARE = 0.04  # of the librarians: 200 at N = 5,000
BIG_HEAD = "kepala-layanan"  # supervisor of the big unit (the benchmark's dashboard)
ROOT_HEAD = "kepala-dinas"  # supervisor of the whole organisation
MEAN_UNIT = 80  # librarians per unit on average; sizes range over 0.25-3.75 x the mean (20-300)
LIBRARIAN_PREFIX = "p"  # librarians are p00001, p00002, ...

ROOT_SECTIONS = [("pengolahan", "Bidang Pengolahan Bahan Pustaka"), ("koleksi", "Bidang Pengembangan Koleksi"),
                 ("tik", "Bidang Teknologi Informasi dan Perpustakaan Digital"),
                 ("pelestarian", "Bidang Pelestarian Bahan Pustaka")]
REGENCIES = [("kobar", "Kabupaten Kotawaringin Barat"), ("kotim", "Kabupaten Kotawaringin Timur"),
             ("kapuas", "Kabupaten Kapuas"), ("barsel", "Kabupaten Barito Selatan"),
             ("barut", "Kabupaten Barito Utara"), ("katingan", "Kabupaten Katingan"),
             ("seruyan", "Kabupaten Seruyan"), ("sukamara", "Kabupaten Sukamara"),
             ("lamandau", "Kabupaten Lamandau"), ("gumas", "Kabupaten Gunung Mas"),
             ("pulpis", "Kabupaten Pulang Pisau"), ("mura", "Kabupaten Murung Raya"),
             ("bartim", "Kabupaten Barito Timur"), ("palangka", "Kota Palangka Raya")]
# ``--organisations N``: the first N of these libraries (the city first, then the regencies as
# the province lists them) are organisations of their own below the provincial service
LIBRARY_ORDER = ["palangka", "kobar", "kotim", "kapuas", "barsel", "barut", "sukamara", "lamandau", "seruyan",
                 "katingan", "pulpis", "gumas", "bartim", "mura"]
MAX_ORGANISATIONS = len(LIBRARY_ORDER)
LIBRARY_HEAD = "kepala-palangka"  # supervisor of one library (the benchmark's per-library dashboard)
BRANCH_SECTIONS = [("sirkulasi", "Layanan Sirkulasi"), ("referensi", "Layanan Referensi"),
                   ("pengolahan", "Pengolahan"), ("keliling", "Perpustakaan Keliling"),
                   ("anak", "Layanan Anak dan Remaja"), ("digital", "Layanan Digital")]
# (position, weight): the positions competencies.yml gives targets for, and the usual others
POSITIONS = [("Pustakawan Ahli Pertama", 24), ("Pustakawan Ahli Muda", 12), ("Pustakawan Ahli Madya", 4),
             ("Asisten Perpustakaan Mahir", 20), ("Asisten Perpustakaan Terampil", 17), ("Pengelola Layanan Perpustakaan", 15),
             ("Pranata Komputer Ahli Pertama", 3), ("Pengelola Sistem Informasi", 2),
             ("Pengemudi Perpustakaan Keliling", 3)]
FIRST_NAMES = """Agus Ahmad Aldi Andi Anisa Arif Ayu Bambang Bayu Budi Citra Dedi Desi Dewi Dian Dimas Dodi Eka
Eko Endang Fajar Fitri Gita Hadi Hana Hendra Heru Ika Indah Indra Joko Kartika Kurnia Lestari Lina Lukas Made
Maria Maya Mega Novi Nur Nyoman Oki Putri Putu Rahmat Rina Rini Rizki Samuel Sari Siti Sri Taufik Tri Umar
Vina Wahyu Wayan Yanti Yohanes Yosef Yudi Yulia Zahra""".split()
LAST_NAMES = """Ariyanto Damanik Dohong Effendi Firmansyah Gunawan Halim Harahap Hidayat Irawan Kusuma Lubis Mahendra
Marbun Nainggolan Ngabut Nugroho Pane Pardede Prasetyo Purba Rahman Rahmawati Saputra Sari Setiawan Siahaan
Sihombing Simanjuntak Sinaga Siregar Susanto Syahputra Tambunan Tingang Utomo Wibowo Wijaya Wulandari Yulianti
Rangkap Bahat Ilun Penyang Liju Kuhu Usup Tundan""".split()


class ScaleError(RuntimeError):
    """The scale data cannot be generated here (already present, courses missing...)."""


# --- steps and their report ---------------------------------------------------------------

@dataclass
class Step:
    """Rows written by one step, by kind (``step.count("quiz attempts", n)``)."""

    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, rows: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + rows


class ScaleLog:
    """The ``log`` handed to ``lms_demo_scale``: prints a line when called, and keeps each
    step's row counts for the summary at the end."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self.totals: dict[str, int] = {}

    def __call__(self, line: str) -> None:
        self.echo(line)

    def record(self, label: str, step: Step, seconds: float) -> None:
        for kind, rows in step.counts.items():
            self.totals[kind] = self.totals.get(kind, 0) + rows
        counts = ", ".join(f"{rows:,} {kind}" for kind, rows in step.counts.items()) or "nothing written"
        self.echo(f"  {label:<30} {seconds:6.1f} s  {counts}")


@contextmanager
def timed(log: Callable[[str], None], label: str) -> Iterator[Step]:
    """Time a step; print its row counts and seconds (and total them on a :class:`ScaleLog`)."""
    step = Step()
    started = time.perf_counter()
    yield step
    seconds = time.perf_counter() - started
    if isinstance(log, ScaleLog):
        log.record(label, step, seconds)
    else:
        log(f"  {label}: {step.counts} in {seconds:.1f} s")


# --- the shared model ---------------------------------------------------------------------

def stable_fraction(*parts: object) -> float:
    """A deterministic number in [0, 1) for ``parts`` (cheaper than seeding a Random)."""
    return zlib.crc32(":".join(map(str, (SEED, *parts))).encode()) / 2 ** 32


class Abilities:
    """Latent ability (1-5) of a synthetic person in a competency: a level per competency,
    a strength per unit and competency area (``cat``, ``dig``, ``cs``...), a personal
    offset, and a little per person and competency. Deterministic; no rows."""

    def __init__(self) -> None:
        self._person: dict[int, float] = {}

    def __call__(self, user_id: int, unit_id: int | None, competency_id: str) -> float:
        person = self._person.get(user_id)
        if person is None:
            person = self._person[user_id] = random.Random(SEED * 7919 + user_id).gauss(0.0, 0.45)
        level = self.unit_level(unit_id, competency_id) + person + (stable_fraction("p", user_id, competency_id) - 0.5)
        return min(5.0, max(1.0, level))

    @staticmethod
    def unit_level(unit_id: int | None, competency_id: str) -> float:
        """The unit's typical ability in a competency (before personal differences)."""
        area = competency_id.split("-", 1)[0]
        return 2.3 + 1.6 * stable_fraction("c", competency_id) + 1.2 * (stable_fraction("u", unit_id, area) - 0.5)

    @staticmethod
    def importance(competency_id: str) -> float:
        """How important the organisation finds a competency on average (3.4-4.8)."""
        return 3.4 + 1.4 * stable_fraction("i", competency_id)


class Clock:
    """The year of activity: moments in working hours (08:00-16:00 local) as UTC epoch seconds."""

    def __init__(self) -> None:
        zone = local_zone()
        local_now = datetime.now(zone)
        self.now = local_now.timestamp()
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.first_day = (midnight - timedelta(days=DAYS)).timestamp()  # local midnight, a year ago

    def moment(self, day: float) -> float:
        """``day`` counts days since the start of the year of activity (0 <= day < DAYS); its
        fraction is spread over the working day, so later days and fractions are later."""
        whole = math.floor(day)
        return self.first_day + whole * 86_400 + 8 * 3600 + (day - whole) * 8 * 3600

    def days_ago(self, days: float) -> float:
        return self.now - days * 86_400


@dataclass(frozen=True)
class Person:
    id: int
    unit_id: int
    position: str
    full_name: str


def scale_root() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == ROOT_CODE))


def people() -> list[Person]:
    """The synthetic librarians, by id (empty before ``lms demo --scale``)."""
    root = scale_root()
    if root is None:
        return []
    tree = units_below([root.id])
    rows = db.session.execute(
        select(User.id, User.unit_id, User.position, User.full_name)
        .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "librarian"))
        .where(User.unit_id.in_(select(tree.c.id)), User.active.is_(True)).order_by(User.id))
    return [Person(*row) for row in rows]


def unit_heads() -> dict[int, int]:
    """unit id -> the user id of its head, for the synthetic units."""
    root = scale_root()
    if root is None:
        return {}
    tree = units_below([root.id])
    return dict(db.session.execute(select(UnitSupervisor.unit_id, func.min(UnitSupervisor.user_id))
                                   .where(UnitSupervisor.unit_id.in_(select(tree.c.id)))
                                   .group_by(UnitSupervisor.unit_id)).all())


# --- the organisation ---------------------------------------------------------------------

@dataclass
class PlannedUnit:
    code: str
    name: str
    kind: str
    parent: str | None
    head_position: str
    size: int = 0  # librarians


def unit_sizes(scale: int, rng: random.Random, least: int = 2) -> tuple[int, list[int]]:
    """(librarians in the big unit, sizes of the other units, at least ``least`` of them):
    0.25-3.75 x the mean size, summing exactly to the rest."""
    big = max(1, round(scale * BIG_SHARE))
    rest = scale - big
    count = max(least, round(rest / MEAN_UNIT))
    if rest < count:
        raise ScaleError(f"--scale {scale} is too small for {count} units with people in each; "
                         f"use --scale {count + big} or more.")
    mean = rest / count
    low, high = max(1, math.floor(0.25 * mean)), math.ceil(3.75 * mean)
    sizes = [min(high, max(low, round(mean * rng.lognormvariate(-0.18, 0.6)))) for _ in range(count)]
    index = 0
    while sum(sizes) != rest:  # move one person at a time, round the units, within the bounds
        slot = index % count
        if sum(sizes) < rest and sizes[slot] < high:
            sizes[slot] += 1
        elif sum(sizes) > rest and sizes[slot] > low:
            sizes[slot] -= 1
        index += 1
    return big, sizes


def library_name(regency: str) -> str:
    """A regency's or the city's library service, as the local government names it."""
    return f"Dinas Perpustakaan dan Kearsipan {regency}"


def plan_units(scale: int, rng: random.Random, organisations: int = 0) -> list[PlannedUnit]:
    """The unit tree, parents before children; the big unit first among the leaves. With
    ``organisations`` every regency and the city has a library with sections (so at a small
    N too), and the first ``organisations`` of :data:`LIBRARY_ORDER` are libraries of their own."""
    least = len(ROOT_SECTIONS) + len(REGENCIES) if organisations else 2
    big, sizes = unit_sizes(scale, rng, least)
    libraries = {f"{ROOT_CODE}-{code}" for code in LIBRARY_ORDER[:organisations]}
    units = [PlannedUnit(ROOT_CODE, ROOT_NAME, "library", None, "Kepala Dinas"),
             PlannedUnit(BIG_CODE, BIG_NAME, "section", ROOT_CODE, "Kepala Bidang", big)]
    branches: set[str] = set()
    for index, size in enumerate(sizes):
        if index < len(ROOT_SECTIONS):
            code, name = ROOT_SECTIONS[index]
            units.append(PlannedUnit(f"{ROOT_CODE}-{code}", name, "section", ROOT_CODE, "Kepala Bidang", size))
            continue
        slot = index - len(ROOT_SECTIONS)
        regency_code, regency = REGENCIES[slot % len(REGENCIES)]
        section_code, section = BRANCH_SECTIONS[(slot // len(REGENCIES)) % len(BRANCH_SECTIONS)]
        lap = slot // (len(REGENCIES) * len(BRANCH_SECTIONS))
        branch = f"{ROOT_CODE}-{regency_code}"
        if branch not in branches:
            branches.add(branch)
            if branch in libraries:
                units.append(PlannedUnit(branch, library_name(regency), "library", ROOT_CODE, "Kepala Dinas"))
            else:
                units.append(PlannedUnit(branch, f"Perpustakaan Daerah {regency}", "branch", ROOT_CODE,
                                         "Kepala Perpustakaan Cabang"))
        suffix = f" {lap + 1}" if lap else ""
        short = regency.removeprefix("Kabupaten ")
        units.append(PlannedUnit(f"{branch}-{section_code}{suffix.replace(' ', '-')}", f"{section} {short}{suffix}",
                                 "section", branch, "Kepala Seksi", size))
    return units


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def organisation_of(planned: list[PlannedUnit]) -> dict[str, str]:
    """unit code -> the code of its nearest library (a unit of kind ``library``) at or above it:
    ``units.organisation_id`` as :func:`lms.organisations.assign_organisations` would set it,
    worked out from the plan instead of read back from the database."""
    parents = {unit.code: unit.parent for unit in planned}
    libraries = {unit.code for unit in planned if unit.kind == "library"}
    nearest = {}
    for unit in planned:
        code = unit.code
        while code not in libraries:
            code = parents[code]
        nearest[unit.code] = code
    return nearest


def short_library_name(name: str) -> str:
    """"Dinas Perpustakaan dan Kearsipan Kabupaten Kapuas" -> "Dispursip Kabupaten Kapuas" (the
    usual abbreviation), for the libraries of a province; the provincial service keeps its name."""
    return name.replace("Dinas Perpustakaan dan Kearsipan", "Dispursip")[:80]


def create_organisation(scale: int, log: Callable[[str], None], organisations: int = 0) -> None:
    """Units, organisations, librarians, heads, roles and supervision in bulk (one transaction).
    With ``organisations`` the provincial service and that many libraries below it are each
    an organisation (``Organisation`` rows and ``units.organisation_id``, set-based)."""
    rng = random.Random(SEED)
    planned = plan_units(scale, rng, organisations)
    nearest = organisation_of(planned)
    clock = Clock()
    password_hash = generate_password_hash(
        DEMO_PASSWORD, method=current_app.config.get("PASSWORD_METHOD", PASSWORD_METHOD))
    positions, weights = zip(*POSITIONS)
    tables = [Unit.__table__, Organisation.__table__, User.__table__, UserRole.__table__, UnitSupervisor.__table__]
    with timed(log, "organisation") as step, bulk_writer(*tables) as writer:
        unit_ids: dict[str, int] = {}
        unit_id = writer.next_id(Unit.__table__)
        created = writer.stamp(clock.days_ago(3 * DAYS))
        unit_rows = []
        for unit in planned:  # parents come first, so a unit's library has its id already
            unit_ids[unit.code] = unit_id
            unit_rows.append((unit_id, unit.code, unit.name, unit.kind,
                              unit_ids[unit.parent] if unit.parent else None, True, created,
                              unit_ids[nearest[unit.code]]))
            unit_id += 1
        writer.insert(Unit.__table__, ("id", "code", "name", "kind", "parent_id", "active", "created_at",
                                       "organisation_id"), unit_rows)
        config = current_app.config
        zone = config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Jakarta"
        target = float(config.get("JP_TARGET", 20))
        org_rows = [(unit_ids[unit.code], unit.name, unit.name[:80] if not organisations or unit.code == ROOT_CODE
                     else short_library_name(unit.name), zone, target, "id", "", "", "", "", created)
                    for unit in planned if unit.kind == "library"]
        writer.insert(Organisation.__table__, (
            "unit_id", "full_name", "short_name", "time_zone", "jp_target", "default_locale", "signatory_name",
            "signatory_position", "signatory_nip", "email_signature", "updated_at"), org_rows)

        users = writer.buffer(User.__table__, (
            "id", "username", "full_name", "email", "nip", "position", "locale", "active", "must_change_password",
            "password_hash", "unit_id", "created_at", "last_login_at", "session_version"))
        roles = writer.buffer(UserRole.__table__, ("user_id", "role"), after=users)
        supervision = writer.buffer(UnitSupervisor.__table__, ("unit_id", "user_id"), after=users)
        user_id = writer.next_id(User.__table__)

        def add_user(username: str, position: str, unit_code: str, role: str) -> int:
            nonlocal user_id
            joined = writer.stamp(clock.days_ago(DAYS + rng.uniform(30, 3000)))
            seen = writer.stamp(clock.days_ago(rng.uniform(0, 30)))
            users.add((user_id, username, _name(rng), f"{username}@skala.perpustakaan.example", None, position,
                       "id", True, False, password_hash, unit_ids[unit_code], joined, seen, 1))
            roles.add((user_id, role))
            user_id += 1
            return user_id - 1

        number = 0
        for unit in planned:
            head = {ROOT_CODE: ROOT_HEAD, BIG_CODE: BIG_HEAD}.get(
                unit.code, "kepala-" + unit.code.removeprefix(f"{ROOT_CODE}-"))
            supervision.add((unit_ids[unit.code], add_user(head, unit.head_position, unit.code, "supervisor")))
            for _member in range(unit.size):
                number += 1
                add_user(f"{LIBRARIAN_PREFIX}{number:05d}", rng.choices(positions, weights)[0], unit.code,
                         "librarian")
        writer.flush()
        step.count("units", len(unit_rows))
        step.count("organisations", len(org_rows))
        step.count("accounts", users.written)
    db.session.expire_all()


# --- the run ------------------------------------------------------------------------------

def analyze_tables() -> None:
    """Refresh the query planner's statistics after the load, as a database in use would
    have them (PostgreSQL's autovacuum does this by itself; SQLite needs asking)."""
    db.session.commit()
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.execute(text("ANALYZE"))
        connection.commit()


def seed_scale(app: Flask, scale: int, echo: Callable[[str], None],
               attempts_per_librarian: int = ATTEMPTS_PER_LIBRARIAN, organisations: int = 0) -> dict[str, int]:
    """Create the organisation, let every plugin add its data, and report rows and time.
    ``attempts_per_librarian`` changes the activity, not the organisation (the scaling curve
    keeps the 200-librarian unit and grows the attempts table). ``organisations`` makes a
    province: that many libraries below the provincial service are organisations of their
    own (0: the provincial service is the one organisation). Raises :class:`ScaleError`
    when scale data are already present."""
    if not 0 <= organisations <= MAX_ORGANISATIONS:
        raise ScaleError(f"--organisations is between 0 and {MAX_ORGANISATIONS} "
                         "(the 13 regencies and 1 city of Central Kalimantan).")
    if scale_root() is not None:
        raise ScaleError(f"Scale data are already in this database (unit {ROOT_CODE!r}); "
                         "start from an empty one (lms db upgrade on a new database).")
    log = ScaleLog(echo)
    started = time.perf_counter()
    log(f"Scale {scale}: generating (bulk inserts on {db.engine.dialect.name}), "
        f"~{attempts_per_librarian} quiz attempts per librarian")
    create_organisation(scale, log, organisations)
    hook().lms_demo_scale(app=app, scale=scale, log=log, attempts_per_librarian=attempts_per_librarian)
    with timed(log, "planner statistics"):
        analyze_tables()
    db.session.commit()
    seconds = time.perf_counter() - started
    rows = sum(log.totals.values())
    log(f"Scale {scale}: {rows:,} rows in {seconds:.1f} s")
    big = db.session.scalar(select(Unit).where(Unit.code == BIG_CODE))
    members = len([p for p in people() if p.unit_id == big.id])
    log(f"Accounts (password for all: {DEMO_PASSWORD}):")
    log(f"  {BIG_HEAD:16} supervisor of {big.name} ({members} librarians)")
    log(f"  {ROOT_HEAD:16} supervisor of {ROOT_NAME} (all {scale} librarians)")
    if organisations:
        library = db.session.scalar(select(Unit).where(Unit.code == LIBRARY_HEAD.replace("kepala-", f"{ROOT_CODE}-")))
        log(f"  {LIBRARY_HEAD:16} supervisor of {library.name} (one of {organisations} libraries below it, "
            "each an organisation with its head kepala-<code>)")
    log(f"  {LIBRARIAN_PREFIX}00001 ... {LIBRARIAN_PREFIX}{scale:05d}  librarians")
    return log.totals
