"""My learning, the learner's own certificates, and the public certificate check."""
from __future__ import annotations

import segno
from flask import Blueprint, Response, abort, render_template
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import logos
from lms.auth.access import authenticated, public
from lms.http import absolute_url
from lms.plugins.learning import overview, services

bp = Blueprint("learning", __name__)


def _locale() -> str:
    return str(get_locale() or "id")


@bp.route("/learning/")
@authenticated
def index():
    return render_template("learning/index.html", overview=overview.overview(current_user, _locale()),
                           is_local_url=overview.is_local_url)


def verification_url(code: str) -> str:
    """The absolute address of the public check of certificate ``code``: printed on the
    certificate, linked from its page and encoded in its QR code - built from the configured
    ``BASE_URL``, never from the request's Host header."""
    return absolute_url("learning.verify", code=code)


@bp.route("/learning/certificates/<code>")
@authenticated
def certificate(code: str):
    """The printable certificate, for its owner only: anyone else gets 404, as for an
    unknown code, so codes of other people's certificates cannot be probed here."""
    found = services.own_certificate(current_user.id, code)
    if found is None:
        abort(404)
    verify_url = verification_url(found.code)
    return render_template("learning/certificate.html", certificate=found,
                           title=services.certificate_title(found, _locale()), verify_url=verify_url,
                           qr_uri=segno.make(verify_url, error="m", micro=False).svg_data_uri(border=0))


def signatory_line(certificate) -> str:
    """Who signs for the issuing library, as the certificate recorded it: position, name, NIP."""
    nip = f"NIP {certificate.signatory_nip}" if certificate.signatory_nip else ""
    return " · ".join(filter(None, [certificate.signatory_position, certificate.signatory_name, nip]))


@bp.route("/learning/certificates/<code>.pdf")
@authenticated
def certificate_pdf(code: str):
    """The same certificate as a PDF, made on the server (no browser needed)."""
    from lms.plugins.learning.pdf import CertificateText, certificate_pdf

    found = services.own_certificate(current_user.id, code)
    if found is None:
        abort(404)
    text = CertificateText(
        heading=_("Certificate of completion"),
        intro=_("This certifies that"),
        name=found.full_name,
        completed=_("has completed the course"),
        course_title=services.certificate_title(found, _locale()),
        date_line=f"{_('Completed on')} {format_date(found.completed_on, 'long')} · {found.jp:g} JP",
        code_line=f"{_('Certificate code')}: {found.code}",
        verify_line=_("Anyone can check this certificate at"),
        verify_url=verification_url(found.code),
        issuer=" · ".join(filter(None, ["Pembina", found.issuer_name])),
        signatory=signatory_line(found),
        logo=logos.png_bytes(found.issuer_logo),  # the issuer's logo on the day of issue
    )
    return Response(certificate_pdf(text), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="sertifikat-{found.code}.pdf"'})


@bp.route("/verify/<code>")
@public
def verify(code: str):
    """Anyone holding a printed certificate can check it: name, course, date and JP only."""
    found = services.certificate_by_code(code)
    title = services.certificate_title(found, _locale()) if found else ""
    revoked_at = services.revoked_at(found) if found else None
    response = render_template("learning/verify.html", certificate=found, title=title, revoked_at=revoked_at,
                               code=services.normalise_code(code)[:16])
    headers = {"X-Robots-Tag": "noindex"}  # learners' names are not for search engines
    return (response, 200, headers) if found else (response, 404, headers)
