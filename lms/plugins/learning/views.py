"""My learning, the learner's own certificates, and the public certificate check."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user

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


@bp.route("/learning/certificates/<code>")
@authenticated
def certificate(code: str):
    """The printable certificate, for its owner only: anyone else gets 404, as for an
    unknown code, so codes of other people's certificates cannot be probed here."""
    found = services.own_certificate(current_user.id, code)
    if found is None:
        abort(404)
    return render_template("learning/certificate.html", certificate=found,
                           title=services.certificate_title(found, _locale()))


@bp.route("/learning/certificates/<code>.pdf")
@authenticated
def certificate_pdf(code: str):
    """The same certificate as a PDF, made on the server (no browser needed)."""
    from flask import Response
    from flask_babel import format_date
    from flask_babel import gettext as _

    from lms.plugins.learning.pdf import Line, certificate_pdf

    found = services.own_certificate(current_user.id, code)
    if found is None:
        abort(404)
    jp = f"{found.jp:g}"
    verify_url = absolute_url("learning.verify", code=found.code)
    lines = [
        Line(_("Certificate of completion"), 30, 470, bold=True),
        Line(_("This certifies that"), 14, 420),
        Line(found.full_name, 26, 380, bold=True),
        Line(_("has completed the course"), 14, 340),
        Line(services.certificate_title(found, _locale()), 20, 305, bold=True),
        Line(f"{_('Completed on')} {format_date(found.completed_on, 'long')} · {jp} JP", 14, 255),
        Line(f"{_('Certificate code')}: {found.code}", 12, 150),
        Line(f"{_('Anyone can check this certificate at')} {verify_url}", 10, 130),
        Line("Pembina · Perpustakaan Kota Palangkaraya", 10, 80),
    ]
    return Response(certificate_pdf(lines), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="sertifikat-{found.code}.pdf"'})


@bp.route("/verify/<code>")
@public
def verify(code: str):
    """Anyone holding a printed certificate can check it: name, course, date and JP only."""
    found = services.certificate_by_code(code)
    title = services.certificate_title(found, _locale()) if found else ""
    response = render_template("learning/verify.html", certificate=found, title=title,
                               code=services.normalise_code(code)[:16])
    headers = {"X-Robots-Tag": "noindex"}  # learners' names are not for search engines
    return (response, 200, headers) if found else (response, 404, headers)
