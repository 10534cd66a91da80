"""A certificate as a one-page PDF, written directly (no browser, no extra dependency).

The PDF uses the standard Helvetica fonts with WinAnsi encoding, which covers the Latin
letters of Indonesian and English names; any other character is replaced by "?".
"""
from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH, PAGE_HEIGHT = 842, 595  # A4 landscape, in points


@dataclass(frozen=True)
class Line:
    text: str
    size: int
    y: int
    bold: bool = False


def _encode(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _text_width(text: str, size: int, bold: bool) -> float:
    # Helvetica's average advance is about half the font size; good enough for centring.
    return len(text) * size * (0.5 if bold else 0.47)


def certificate_pdf(lines: list[Line]) -> bytes:
    """Lay ``lines`` out centred on an A4 landscape page with a border; return the PDF bytes."""
    content = [b"0.06 0.37 0.36 RG 4 w 30 30 782 535 re S 1 w 42 42 758 511 re S", b"0.11 0.15 0.15 rg"]
    for line in lines:
        x = max(50, (PAGE_WIDTH - _text_width(line.text, line.size, line.bold)) / 2)
        font = b"/F2" if line.bold else b"/F1"
        content.append(b"BT " + font + b" %d Tf %.1f %d Td (" % (line.size, x, line.y) + _encode(line.text)
                       + b") Tj ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>" % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
