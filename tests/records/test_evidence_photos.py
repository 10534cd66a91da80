"""Evidence photos: uploaded through the real form, read back from the evidence folder.
Location (EXIF GPS) and every other kind of metadata are gone, the EXIF orientation is in
the pixels, very large photos are scaled down in their own format, and PDFs are kept byte
for byte; a damaged image, a decompression bomb and an animated image are refused with
nothing stored."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, features
from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.records.models import ExternalTraining
from tests.records.conftest import PDF, add_record

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="2,12.5S"/>'
       b"</rdf:RDF></x:xmpmeta>")
CAPTION = b"Rumah Ani, Jalan Kinibalu"


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    """EXIF as a phone writes it: orientation, the camera, and where (Palangkaraya)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone 12"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (2.0, 12.0, 30.0), 3: "E", 4: (113.0, 55.0, 0.0)})
    return exif


def two_halves(size=(400, 200)) -> Image.Image:
    """Left half red, right half blue: after turning, where each colour ends up shows how."""
    width, height = size
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def with_iptc(jpeg: bytes) -> bytes:
    """Insert an APP13 (Photoshop/IPTC) segment carrying a caption, as photo tools do."""
    record = b"\x1c\x02\x78" + struct.pack(">H", len(CAPTION)) + CAPTION
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def phone_jpeg(size=(400, 200)) -> bytes:
    out = io.BytesIO()
    two_halves(size).save(out, "JPEG", quality=95, exif=exif_with_gps(6), xmp=XMP, comment=b"Taken at home")
    return with_iptc(out.getvalue())


def stored(app) -> tuple[ExternalTraining, bytes]:
    db.session.expire_all()
    record = db.session.scalars(select(ExternalTraining)).one()
    return record, (Path(app.config["RECORDS_EVIDENCE_DIR"]) / record.evidence_stored).read_bytes()


def nothing_stored(app) -> bool:
    folder = Path(app.config["RECORDS_EVIDENCE_DIR"])
    files = list(folder.iterdir()) if folder.exists() else []
    return files == [] and db.session.scalar(select(func.count()).select_from(ExternalTraining)) == 0


def colour(image: Image.Image, x: int, y: int) -> str:
    red, _green, blue = image.convert("RGB").getpixel((x, y))[:3]
    return "red" if red > 200 and blue < 60 else "blue" if blue > 200 and red < 60 else "other"


def png_chunks(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        kinds.append(data[position + 4:position + 8])
        position += 12 + length
    return kinds


def test_a_phone_jpeg_loses_location_and_metadata_and_is_turned_upright(app, people):
    upload = phone_jpeg()
    with Image.open(io.BytesIO(upload)) as original:  # the test file really carries it all
        assert original.getexif().get_ifd(0x8825)[1] == "S" and original.getexif()[0x0112] == 6
        assert b"adobe:ns:meta" in upload and CAPTION in upload and b"Taken at home" in upload
    assert add_record(people["lib_a"], upload, "foto.jpg").status_code == 302
    record, data = stored(app)
    assert record.evidence_type == "image/jpeg" and record.evidence_stored.endswith(".jpg")
    assert record.evidence_size == len(data) and record.evidence_sha256 == hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {} and image.getexif().get_ifd(0x8825) == {}
        assert "exif" not in image.info and "xmp" not in image.info and "comment" not in image.info
        assert image.applist == [] or all(marker not in ("APP1", "APP13") for marker, _ in image.applist)
        assert image.size == (200, 400)  # orientation 6: turned a quarter clockwise into the pixels
        assert colour(image, 100, 20) == "red" and colour(image, 100, 380) == "blue"
    for trace in (b"Exif", b"adobe:ns:meta", b"Photoshop 3.0", CAPTION, b"Taken at home", b"PhoneMaker"):
        assert trace not in data


def test_a_jpeg_with_nothing_to_turn_or_scale_keeps_its_quality(app, people):
    out = io.BytesIO()
    two_halves().save(out, "JPEG", quality=60, exif=exif_with_gps(1))
    assert add_record(people["lib_a"], out.getvalue(), "foto.jpg").status_code == 302
    _record, data = stored(app)
    with Image.open(io.BytesIO(data)) as image, Image.open(io.BytesIO(out.getvalue())) as before:
        assert image.size == (400, 200) and dict(image.getexif()) == {}
        assert image.quantization == before.quantization  # not encoded again at another quality


def test_a_very_large_photo_is_scaled_down_to_the_setting_in_its_own_format(app, people):
    assert app.config["RECORDS_IMAGE_MAX_SIDE"] == 2560  # the documented default
    big = io.BytesIO()
    two_halves((3000, 1500)).save(big, "PNG")
    assert add_record(people["lib_a"], big.getvalue(), "scan.png").status_code == 302
    record, data = stored(app)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (2560, 1280))
        assert colour(image, 10, 640) == "red" and colour(image, 2550, 640) == "blue"
    assert record.evidence_type == "image/png"


def test_a_large_jpeg_is_decoded_small_turned_and_scaled(app, people):
    app.config["RECORDS_IMAGE_MAX_SIDE"] = 500
    assert add_record(people["lib_a"], phone_jpeg((1200, 1100)), "foto.jpg").status_code == 302
    _record, data = stored(app)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and max(image.size) == 500
        assert image.size[1] > image.size[0]  # turned: portrait now
        assert colour(image, image.size[0] // 2, 10) == "red"
        assert dict(image.getexif()) == {}


def test_a_png_loses_its_text_exif_and_xmp_chunks(app, people):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "Rumah Ani")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Location", "Palangkaraya", zip=True)
    out = io.BytesIO()
    two_halves().save(out, "PNG", pnginfo=info, exif=exif_with_gps(6))
    assert {b"tEXt", b"iTXt", b"zTXt", b"eXIf"} <= set(png_chunks(out.getvalue()))
    assert add_record(people["lib_a"], out.getvalue(), "foto.png").status_code == 302
    _record, data = stored(app)
    assert not {b"tEXt", b"iTXt", b"zTXt", b"eXIf"} & set(png_chunks(data))
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (200, 400) and colour(image, 100, 20) == "red"


@pytest.mark.skipif(not features.check("webp"), reason="this Pillow has no WebP")
@pytest.mark.parametrize("lossless", [True, False])
def test_a_webp_loses_exif_and_xmp_and_stays_webp(app, people, lossless):
    out = io.BytesIO()
    two_halves().save(out, "WEBP", lossless=lossless, exif=exif_with_gps(6), xmp=XMP)
    assert b"EXIF" in out.getvalue() and b"XMP " in out.getvalue()
    assert add_record(people["lib_a"], out.getvalue(), "foto.webp").status_code == 302
    record, data = stored(app)
    assert record.evidence_type == "image/webp" and data[8:12] == b"WEBP"
    assert b"EXIF" not in data and b"XMP " not in data and b"PhoneMaker" not in data
    assert (b"VP8L" in data) is lossless
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (200, 400) and colour(image, 100, 20) == "red"


def test_a_pdf_is_stored_byte_for_byte(app, people):
    assert add_record(people["lib_a"], PDF, "sertifikat.pdf").status_code == 302
    record, data = stored(app)
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(PDF).hexdigest() == record.evidence_sha256


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + b"this is not really a JPEG" * 10,
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    None,  # a real JPEG cut in half
], ids=["jpeg-signature-only", "png-signature-only", "truncated-jpeg"])
def test_a_file_that_claims_to_be_an_image_but_is_not_is_refused(app, people, data):
    if data is None:
        whole = phone_jpeg()
        data = whole[: len(whole) // 2]
    response = add_record(people["lib_a"], data, "foto.jpg")
    assert response.status_code == 400
    assert "cannot be read as one" in response.get_data(as_text=True)
    assert nothing_stored(app)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused(app, people):
    # 400 million pixels claimed in a file of a few hundred bytes: Pillow's own guard
    response = add_record(people["lib_a"], _png_header_only(20000, 20000), "bomb.png")
    assert response.status_code == 400
    assert "too large to process" in response.get_data(as_text=True)
    assert nothing_stored(app)
    # and the site's own, lower limit
    app.config["RECORDS_IMAGE_MAX_PIXELS"] = 100_000
    big = io.BytesIO()
    two_halves((400, 300)).save(big, "PNG")
    response = add_record(people["lib_a"], big.getvalue(), "big.png")
    assert response.status_code == 400 and "at most 0.1 megapixels" in response.get_data(as_text=True)
    assert nothing_stored(app)


def test_an_animated_image_is_refused_not_cut_to_one_frame(app, people):
    out = io.BytesIO()
    frames = [two_halves(), two_halves().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    response = add_record(people["lib_a"], out.getvalue(), "anim.png")
    assert response.status_code == 400 and "Animated images" in response.get_data(as_text=True)
    assert nothing_stored(app)
