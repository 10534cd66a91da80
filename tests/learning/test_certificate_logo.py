"""The issuing library's logo on certificates (issue 20, item 1): the certificate keeps the
logo of its issue day, as it keeps the issuer's name, on its page, the public verification
page and the PDF."""
from __future__ import annotations

import io
import re

from lms.extensions import db
from tests.test_organisation_branding import image_bytes, logos_on, set_logo
from tests.learning.conftest import complete_course

def pdf_images(data: bytes) -> list[tuple[int, int]]:
    """The pixel sizes of the images drawn on the PDF's page."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTImage

    found = []

    def walk(item):
        if isinstance(item, LTImage):
            found.append(tuple(item.srcsize))
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)

    for page in extract_pages(io.BytesIO(data)):
        walk(page)
    return found


def test_a_certificate_keeps_the_logo_of_its_issue_day(app, org, learner):
    old = set_logo(org["library"], image_bytes(size=(80, 40)))
    certificate = complete_course(app, learner)
    assert certificate.issuer_logo == old
    new = set_logo(org["library"], image_bytes(size=(50, 50), colour=(1, 2, 3)))
    assert new != old
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert re.search(rf'class="certificate-logo" src="/logos/{old}\.png" alt="Logo of Perpustakaan Uji"', page)
    assert logos_on(page) == {old, new}  # the header shows today's, the certificate its own
    verify = app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert f'class="verify-logo" src="/logos/{old}.png"' in verify and f"{new}.png\" alt=\"Logo" not in verify
    data = learner.get(f"/learning/certificates/{certificate.code}.pdf").data
    assert pdf_images(data) == [(80, 40)]
    # without a logo on the certificate, the PDF has no picture and the page none in its body
    certificate.issuer_logo = None
    db.session.commit()
    assert pdf_images(learner.get(f"/learning/certificates/{certificate.code}.pdf").data) == []
    assert "certificate-logo" not in learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)


def test_the_pdf_logo_stays_inside_the_frame_and_above_the_text(app, org, learner):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTImage

    set_logo(org["library"], image_bytes(size=(500, 100)))  # wide: limited by the width
    certificate = complete_course(app, learner)
    (page,) = extract_pages(io.BytesIO(learner.get(f"/learning/certificates/{certificate.code}.pdf").data))
    images, glyphs = [], []

    def walk(item):
        if isinstance(item, LTImage):
            images.append(item)
        elif isinstance(item, LTChar):
            glyphs.append(item)
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)

    walk(page)
    (image,) = images
    assert 42 < image.x0 and image.x1 < 800 and 42 < image.y0 and image.y1 < 553
    assert abs((image.x0 + image.x1) / 2 - 421) < 1
    assert all(glyph.y1 <= image.y0 for glyph in glyphs)


