"""Demo external training: seminars, workshops, an exchange and an association meeting the
demo staff attended this year, each with a PDF certificate as evidence - some verified by
their unit head, some still waiting (citra has two to verify in her branch)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.learning.pdf import CertificateText, certificate_pdf
from lms.plugins.records import services
from lms.plugins.records.models import ExternalTraining

# (person, kind, provider, topic, days ago it ended, length in days, JP, competency, verified by)
RECORDS: list[tuple[str, str, str, str, int, int, float, str | None, str | None]] = [
    ("dewi", "seminar", "Perpustakaan Nasional RI", "Seminar Nasional Transformasi Perpustakaan Digital",
     20, 1, 8, "dig-content-services", None),
    ("eko", "workshop", "Dinas Perpustakaan dan Kearsipan Provinsi Kalimantan Tengah",
     "Bimbingan Teknis Otomasi Perpustakaan dengan SLiMS", 35, 2, 16, "cat-automation", None),
    ("bella", "association", "Ikatan Pustakawan Indonesia (IPI) Kalimantan Tengah",
     "Rapat Kerja Daerah IPI: layanan perpustakaan inklusif", 90, 1, 4, "cs-inclusive", "citra"),
    ("gusti", "conference", "Forum Perpustakaan Umum Indonesia", "Konferensi Perpustakaan Umum Regional Kalimantan",
     120, 2, 12, "cs-standards", "frans"),
    ("nanda", "exchange", "Perpustakaan Kota Banjarmasin", "Pertukaran pustakawan: layanan referensi dan literasi",
     60, 5, 24, "cs-reference-interview", "erlina"),
    ("tari", "course", "Pusat Pendidikan dan Pelatihan Perpustakaan Nasional RI",
     "Diklat daring Tajuk Subjek dan Kendali Kewenangan", 15, 10, 20, "cat-subject", None),
]


def _evidence(full_name: str, topic: str, provider: str, ended: date, jp: float) -> bytes:
    return certificate_pdf(CertificateText(
        heading="SERTIFIKAT", intro="diberikan kepada", name=full_name, completed="sebagai peserta",
        course_title=topic, date_line=f"{provider} - {ended.isoformat()} - {jp:g} JP",
    ))


def seed(log) -> None:
    """Add the demo records once (idempotent: skipped when any record exists)."""
    if db.session.scalar(select(ExternalTraining.id).limit(1)) is not None:
        log(_("Demo training records: already present."))
        return
    people = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_({r[0] for r in RECORDS} | {r[8] for r in RECORDS if r[8]})))}
    today = local_today()
    known = set(db.session.scalars(select(Competency.id)))  # empty until the courses are imported
    added = verified = 0
    for username, kind, provider, topic, ago, days, jp, competency, verifier in RECORDS:
        person = people.get(username)
        if person is None:
            continue
        ended = today - timedelta(days=ago)
        if ended.year != today.year:  # keep them in this year's JP
            ended = date(today.year, 1, 2) + timedelta(days=days)
        data = services.RecordData(kind=kind, provider=provider, topic=topic, start_on=ended - timedelta(days=days - 1),
                                   end_on=ended, jp=jp, competency_id=competency if competency in known else None)
        record = services.create(person, person, data, _evidence(person.full_name, topic, provider, ended, jp),
                                 f"sertifikat-{username}.pdf")
        added += 1
        if verifier and verifier in people:
            services.verify(people[verifier], record)
            verified += 1
    log(_("Demo training records: %(added)d external trainings, %(verified)d verified, %(waiting)d "
          "waiting.", added=added, verified=verified, waiting=added - verified))
