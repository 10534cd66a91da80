"""The certificate as a PDF made on the server."""
from __future__ import annotations

import re

from tests.conftest import from_host
from tests.learning.conftest import complete_course


def test_owner_downloads_a_well_formed_pdf(app, learner):
    certificate = complete_course(app, learner)
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert f'href="/learning/certificates/{certificate.code}.pdf"' in page
    response = learner.get(f"/learning/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert certificate.full_name.encode("cp1252") in data and certificate.code.encode() in data
    assert b"/verify/" + certificate.code.encode() in data
    # the cross-reference table points at the objects it names
    start = int(re.search(rb"startxref\n(\d+)", data).group(1))
    assert data[start:start + 4] == b"xref"
    offsets = [int(x) for x in re.findall(rb"(\d{10}) 00000 n", data)]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj" % number)


def test_other_people_cannot_download_it(app, learner, make_user):
    from tests.conftest import login

    certificate = complete_course(app, learner)
    make_user("other")
    other = app.test_client()
    login(other, "other")
    assert other.get(f"/learning/certificates/{certificate.code}.pdf").status_code == 404
    anonymous = app.test_client().get(f"/learning/certificates/{certificate.code}.pdf")
    assert anonymous.status_code == 302


def test_names_outside_latin_1_do_not_break_the_pdf():
    from lms.plugins.learning.pdf import Line, certificate_pdf

    data = certificate_pdf([Line("Nama (dengan) \\ tanda 名前", 12, 100)])
    assert b"Nama \\(dengan\\) \\\\ tanda ??" in data


def test_verification_link_uses_the_configured_site_whatever_the_host(app, learner):
    """Printed certificates carry BASE_URL's verification link, never the request's Host."""
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    certificate = complete_course(app, learner)
    from_host(learner, "evil.example")
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert f"https://pembina.example.go.id/verify/{certificate.code}" in page and "evil.example" not in page
    data = learner.get(f"/learning/certificates/{certificate.code}.pdf").data
    assert f"https://pembina.example.go.id/verify/{certificate.code}".encode() in data and b"evil.example" not in data
