"""The certificate as a PDF made on the server, read back the way a reader would: the text
and where each glyph sits (pdfminer.six), and the QR code as a phone sees it (the page
rendered by pypdfium2, decoded by zxing-cpp)."""
from __future__ import annotations

import io
import unicodedata

import pytest
import segno
from markupsafe import escape

from lms.extensions import db
from tests.conftest import from_host
from tests.learning.conftest import complete_course

# The thin inner frame, in PDF coordinates (origin bottom left) of the A4 landscape page:
# no glyph may touch or cross it.
FRAME = (42.0, 42.0, 800.0, 553.0)

NAME_71 = "Dr. Hj. Raden Ayu Siti Nurhaliza Kusumawardhani Prawiranegara, S.Sos., M.Hum., M.Si."
TITLE_89 = "Pengelolaan Koleksi Digital dan Layanan Referensi Berbasis Teknologi Informasi Perpustakaan"
NAME_120 = (NAME_71 + " binti Haji Abdul Rahman Wiryokusumo Sastrodiningrat")[:120]
TITLE_200 = (TITLE_89 + ": Katalogisasi RDA, MARC 21, Klasifikasi DDC Edisi 23, Pelestarian Naskah Kuno "
             "Nusantara dan Layanan Temu Kembali untuk Semua")[:200]
LETTERS = "Şükrü Éléonore Muñoz Erdős Ākāśa"


def pdf_of(learner, certificate) -> bytes:
    response = learner.get(f"/learning/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def read_back(data: bytes) -> tuple[str, list]:
    """The page's text and its glyphs (pdfminer ``LTChar`` objects with a ``bbox``)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    pages = list(extract_pages(io.BytesIO(data)))
    assert len(pages) == 1, f"{len(pages)} pages"
    glyphs: list = []

    def walk(item):
        if isinstance(item, LTChar):
            glyphs.append(item)
        elif hasattr(item, "__iter__"):
            for child in item:
                walk(child)

    walk(pages[0])
    return "".join(glyph.get_text() for glyph in glyphs), glyphs


def squeezed(text: str) -> str:
    """Text without whitespace: a wrapped line breaks where a space was."""
    return "".join(unicodedata.normalize("NFC", text).split())


def outside_frame(glyphs) -> list[str]:
    left, bottom, right, top = FRAME
    return [f"{glyph.get_text()!r} at {tuple(round(v) for v in glyph.bbox)}" for glyph in glyphs
            if glyph.x0 <= left or glyph.x1 >= right or glyph.y0 <= bottom or glyph.y1 >= top]


def with_texts(certificate, name: str, title: str):
    """The issued certificate with another name and course title (the snapshot a
    certificate keeps, so the PDF shows exactly these)."""
    certificate.full_name, certificate.course_title_en, certificate.course_title_id = name, title, title
    db.session.commit()
    return certificate


def test_owner_downloads_a_readable_pdf(app, learner):
    certificate = complete_course(app, learner)
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert f'href="/learning/certificates/{certificate.code}.pdf"' in page
    verify_url = f"{app.config['BASE_URL']}/verify/{certificate.code}"
    # the page shows the same QR code (as an SVG image) as the PDF
    qr = segno.make(verify_url, error="m", micro=False).svg_data_uri(border=0)
    assert f'src="{escape(qr)}"' in page
    data = pdf_of(learner, certificate)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text, glyphs = read_back(data)
    for expected in ("Certificate of completion", certificate.full_name, certificate.course_title_en,
                     certificate.code, verify_url):
        assert squeezed(expected) in squeezed(text), expected
    assert not outside_frame(glyphs)


def test_other_people_cannot_download_it(app, learner, make_user):
    from tests.conftest import login

    certificate = complete_course(app, learner)
    make_user("other")
    other = app.test_client()
    login(other, "other")
    assert other.get(f"/learning/certificates/{certificate.code}.pdf").status_code == 404
    anonymous = app.test_client().get(f"/learning/certificates/{certificate.code}.pdf")
    assert anonymous.status_code == 302


@pytest.mark.parametrize(("name", "title"), [
    pytest.param("MUHAMMAD RIZKY PRATAMA SYAHPUTRA WIJAYAKU", "Katalogisasi", id="41-character capitals"),
    pytest.param(NAME_71, TITLE_89, id="71-character name with titles, 89-character course"),
    pytest.param(NAME_120, TITLE_200, id="120-character name, 200-character course"),
    pytest.param(("Wijayakusumaningrat " * 11)[:199] + "o", ("Pelestarian Naskah Kuno " * 13)[:299] + "N",
                 id="the longest the database holds"),
    pytest.param("W" * 150, "M" * 250, id="no spaces to wrap at"),
])
def test_long_names_and_titles_stay_inside_the_frame_whole(app, learner, name, title):
    assert name == name.strip() and title == title.strip()
    certificate = with_texts(complete_course(app, learner), name, title)
    for locale, heading in (("en", "Certificate of completion"), ("id", "Sertifikat penyelesaian")):
        learner.user.locale = locale
        db.session.commit()
        text, glyphs = read_back(pdf_of(learner, certificate))
        assert not outside_frame(glyphs), (locale, outside_frame(glyphs)[:5])
        assert squeezed(name) in squeezed(text), locale  # nothing cut off
        assert squeezed(title) in squeezed(text), locale
        assert squeezed(heading) in squeezed(text), locale


def test_letters_beyond_latin_1_are_printed_as_themselves(app, learner):
    certificate = with_texts(complete_course(app, learner), LETTERS, "Huruf Ş é ñ ő ā")
    text, glyphs = read_back(pdf_of(learner, certificate))
    for letter in "Şéñőā":
        assert letter in text, letter
    assert squeezed(LETTERS) in squeezed(text)
    assert "?" not in text
    assert not outside_frame(glyphs)


def test_a_decomposed_accent_prints_as_the_letter(app, learner):
    """"e" + combining acute (as some keyboards and imports send it) becomes the font's "é"."""
    certificate = with_texts(complete_course(app, learner), "Rene\u0301 Sihombing", "Katalogisasi")
    text, _ = read_back(pdf_of(learner, certificate))
    assert "René Sihombing" in text


@pytest.mark.parametrize(("name", "title"), [
    pytest.param(None, None, id="as issued"),
    pytest.param(NAME_120, TITLE_200, id="beside the longest texts"),
])
def test_the_qr_code_opens_the_verification_page(app, learner, name, title):
    import pypdfium2
    import zxingcpp

    certificate = complete_course(app, learner)
    if name:
        with_texts(certificate, name, title)
    document = pypdfium2.PdfDocument(pdf_of(learner, certificate))
    found = zxingcpp.read_barcodes(document[0].render(scale=3).to_pil())
    assert [(result.format, result.text) for result in found] == [
        (zxingcpp.BarcodeFormat.QRCode, f"{app.config['BASE_URL']}/verify/{certificate.code}")
    ]
    assert learner.get(f"/verify/{certificate.code}").status_code == 200


def test_text_too_long_for_any_page_is_refused_not_printed_past_the_frame():
    from lms.plugins.learning.pdf import CertificateText, certificate_pdf

    words = " ".join(["Wijayakusumaningrat"] * 400)
    text = CertificateText(heading=words, intro="x", name=words, completed="x", course_title=words,
                           date_line="x", code_line="x", verify_line="x", verify_url="http://localhost/verify/X",
                           issuer="x")
    with pytest.raises(ValueError, match="do not fit"):
        certificate_pdf(text)


def test_verification_link_uses_the_configured_site_whatever_the_host(app, learner):
    """Printed certificates carry BASE_URL's verification link (text and QR code), never
    the request's Host."""
    import pypdfium2
    import zxingcpp

    app.config["BASE_URL"] = "https://pembina.example.go.id"
    certificate = complete_course(app, learner)
    from_host(learner, "evil.example")
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert f"https://pembina.example.go.id/verify/{certificate.code}" in page and "evil.example" not in page
    data = learner.get(f"/learning/certificates/{certificate.code}.pdf").data
    text, _ = read_back(data)
    assert squeezed(f"https://pembina.example.go.id/verify/{certificate.code}") in squeezed(text)
    assert "evil.example" not in text
    found = zxingcpp.read_barcodes(pypdfium2.PdfDocument(data)[0].render(scale=3).to_pil())
    assert [result.text for result in found] == [f"https://pembina.example.go.id/verify/{certificate.code}"]


def test_the_issuing_library_and_its_signatory_are_printed_as_issued(app, learner):
    """The signatory block (position, name with titles, NIP) fits with the longest texts, and
    a certificate keeps the library's name and signatory of the day it was issued."""
    from lms import organisations
    from lms.auth.models import Organisation

    organisation = db.session.scalars(db.select(Organisation)).one()
    values = {name: getattr(organisation, name) for name in organisations.SETTINGS}
    organisations.save_settings(organisation, **{
        **values, "full_name": "Perpustakaan Daerah Kabupaten Kotawaringin Timur",
        "signatory_name": "Prof. Dr. Hj. Siti Nurhaliza Rahmawati Kusumaningtyas, S.Sos., M.Hum., M.Si.",
        "signatory_position": "Kepala Dinas Perpustakaan dan Kearsipan Daerah Kabupaten Kotawaringin Timur",
        "signatory_nip": "197805122003122004"})
    certificate = with_texts(complete_course(app, learner), NAME_120, TITLE_200)
    organisations.save_settings(organisation, **{**values, "full_name": "Renamed later",
                                                 "signatory_name": "Someone Else"})
    text, glyphs = read_back(pdf_of(learner, certificate))
    assert not outside_frame(glyphs), outside_frame(glyphs)[:5]
    for part in ("Kotawaringin Timur", "Kusumaningtyas, S.Sos., M.Hum., M.Si.", "NIP 197805122003122004",
                 "Kepala Dinas Perpustakaan"):
        assert squeezed(part) in squeezed(text), part
    assert "Renamed later" not in text and "Someone Else" not in text
    page = learner.get(f"/learning/certificates/{certificate.code}").get_data(as_text=True)
    assert "Kusumaningtyas" in page and "Someone Else" not in page
    assert "Kotawaringin Timur" in learner.get(f"/verify/{certificate.code}").get_data(as_text=True)
