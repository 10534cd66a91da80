"""A certificate as a one-page A4 PDF, made with fpdf2 and the DejaVu Sans font in ``fonts/``.

Why a Unicode TrueType font: learners' names carry letters such as Ş, ő or ā, which the
PDF core fonts (Latin-1 only) cannot print. Why everything is measured: names with
academic titles and long course titles must stay inside the border, so each text first
shrinks towards a floor size, then wraps onto more lines (see ``fit``). The QR code opens
the public verification page, so a printed certificate can be checked with a phone.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"

PAGE_WIDTH, PAGE_HEIGHT = 842.0, 595.0  # A4 landscape, in points (top-left origin, as fpdf2 draws)
OUTER = (30.0, 30.0, 782.0, 535.0)  # x, y, width, height of the thick outer frame
INNER = (42.0, 42.0, 758.0, 511.0)  # the thin inner frame: every glyph stays inside it
PADDING = 26.0  # between the inner frame and any text
BRAND = (15, 94, 92)
INK = (28, 38, 38)
MUTED = (70, 84, 84)

LOGO_HEIGHT = 54.0  # the issuer's logo at the top: at most this high ...
LOGO_WIDTH = 160.0  # ... and this wide, its proportions kept
LOGO_GAP = 12.0  # between the logo and the heading
QR_SIZE = 80.0  # points, quiet zone included in the gap to the frame below
QR_GAP = 16.0  # from the inner frame to the QR code (more than four modules at this size)
HARD_MIN_SIZE = 6.0  # below every floor: used only when a text cannot fit at its floor
LEADING = 1.22  # line height as a multiple of the font size
STEP = 0.5  # font size step while shrinking


@dataclass(frozen=True)
class CertificateText:
    """What a certificate says, already translated; ``certificate_pdf`` decides where it goes."""

    heading: str
    intro: str
    name: str
    completed: str
    course_title: str
    date_line: str
    code_line: str = ""
    verify_line: str = ""
    verify_url: str = ""  # none: no verification line and no QR code (e.g. the records demo's evidence)
    issuer: str = ""
    signatory: str = ""  # who signs for the library: position, name, NIP (empty: no signature block)
    logo: bytes | None = None  # the issuer's logo as a PNG (lms/logos.py), centred at the top


@dataclass(frozen=True)
class Style:
    """How one text may be drawn: preferred size, floor size, line limit, weight, colour,
    and the space above it."""

    size: float
    floor: float
    max_lines: int
    bold: bool = False
    colour: tuple[int, int, int] = INK
    space_before: float = 0.0


@dataclass(frozen=True)
class Block:
    """A text fitted to a width: its size and lines."""

    lines: tuple[str, ...]
    size: float
    style: Style

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LEADING


# The centred body, top to bottom, and the band at the foot beside the QR code.
BODY = (
    ("heading", Style(30, 18, 2, bold=True, colour=BRAND)),
    ("intro", Style(14, 10, 2, space_before=18)),
    ("name", Style(26, 20, 4, bold=True, space_before=8)),
    ("completed", Style(14, 10, 2, space_before=10)),
    ("course_title", Style(20, 16, 5, bold=True, space_before=8)),
    ("date_line", Style(14, 10, 2, space_before=18)),
    ("signatory", Style(12, 8, 3, space_before=22)),
)
FOOT = (
    ("code_line", Style(12, 8, 2)),
    ("verify", Style(10, 7, 3, colour=MUTED, space_before=4)),
    ("issuer", Style(10, 7, 2, colour=MUTED, space_before=12)),
)


def _prepare(text: str) -> str:
    """One line of text for the page: composed characters (so a separately typed accent
    still maps to the font's glyph for the letter), whitespace runs as single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class Measure:
    """String widths at one font, in points per point of font size.

    fpdf2 adds glyph advances without kerning, so a width is the sum of its characters'
    and scales with the size: each character is asked for once, not once per size tried.
    """

    def __init__(self, pdf: FPDF, bold: bool):
        self.pdf, self.bold, self.cache = pdf, bold, {}

    def __call__(self, text: str) -> float:
        missing = set(text) - self.cache.keys()
        if missing:
            self.pdf.set_font(FONT, "B" if self.bold else "", 1)
            self.cache.update({char: self.pdf.get_string_width(char) for char in missing})
        return sum(self.cache[char] for char in text)


def wrap(measure: Measure, text: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at ``size``; a word wider than ``width`` is split by characters."""
    limit = width / size
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if current and measure(current + char) > limit:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines or [""]


def _sizes(start: float, stop: float):
    size = start
    while size >= stop - 1e-9:
        yield size
        size -= STEP


def fit(pdf: FPDF, text: str, style: Style, width: float) -> Block:
    """The largest size at which ``text`` fits ``width``: one line, shrinking to the floor;
    then two lines from the preferred size down to the floor, and so on up to ``max_lines``;
    then, for text longer than any the database holds, below the floor to ``HARD_MIN_SIZE``."""
    text = _prepare(text)
    measure = Measure(pdf, style.bold)
    for count in range(1, style.max_lines + 1):
        for size in _sizes(style.size, style.floor):
            lines = wrap(measure, text, size, width)
            if len(lines) <= count:
                return Block(tuple(lines), size, style)
    for size in _sizes(style.floor - STEP, HARD_MIN_SIZE):
        lines = wrap(measure, text, size, width)
        if len(lines) <= style.max_lines:
            return Block(tuple(lines), size, style)
    return Block(tuple(wrap(measure, text, HARD_MIN_SIZE, width)), HARD_MIN_SIZE, style)


def _scaled(style: Style, scale: float) -> Style:
    return replace(style, size=style.size * scale, floor=max(style.floor * scale, HARD_MIN_SIZE),
                   space_before=style.space_before * scale)


def _draw(pdf: FPDF, block: Block, top: float, centre: float) -> float:
    """Draw ``block`` centred on ``centre`` from ``top``; return the bottom of its last line."""
    pdf.set_font(FONT, "B" if block.style.bold else "", block.size)
    pdf.set_text_color(*block.style.colour)
    line_height = block.size * LEADING
    for index, line in enumerate(block.lines):
        baseline = top + index * line_height + block.size * 0.95
        pdf.text(centre - pdf.get_string_width(line) / 2, baseline, line)
    return top + block.height


def _height(blocks: list[Block]) -> float:
    if not blocks:
        return 0.0
    return sum(block.style.space_before + block.height for block in blocks) - blocks[0].style.space_before


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url`` as filled rectangles (vector, sharp at any print size); each
    run of dark modules in a row is one rectangle."""
    matrix = segno.make(url, error="m", micro=False).matrix
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        start = None
        for col_index, dark in enumerate(list(row) + [0]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + row_index * module, (col_index - start) * module, module, style="F")
                start = None


def _logo(pdf: FPDF, png: bytes, centre: float, top: float) -> float:
    """Draw the issuer's logo centred at ``top``, within LOGO_WIDTH x LOGO_HEIGHT; return its bottom."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        width, height = image.size
    scale = min(LOGO_HEIGHT / height, LOGO_WIDTH / width)
    pdf.image(io.BytesIO(png), x=centre - width * scale / 2, y=top, w=width * scale, h=height * scale)
    return top + height * scale


def certificate_pdf(text: CertificateText) -> bytes:
    """The certificate on an A4 landscape page inside a double frame; return the PDF bytes.

    Raises ``ValueError`` when the texts cannot fit the page even at the smallest size
    (far beyond the lengths the database stores), rather than print past the frame.
    """
    pdf = FPDF(orientation="L", unit="pt", format="A4")
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_prepare(f"{text.heading} · {text.name}"))
    pdf.set_creator("Pembina")
    pdf.add_page()

    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(4)
    pdf.rect(*OUTER)
    pdf.set_line_width(1)
    pdf.rect(*INNER)

    left, top = INNER[0] + PADDING, INNER[1] + PADDING
    right = INNER[0] + INNER[2] - PADDING
    centre = PAGE_WIDTH / 2
    if text.logo:
        top = _logo(pdf, text.logo, centre, top) + LOGO_GAP  # the body starts below it

    # The foot: the QR code in the bottom right corner, the code, the verification line
    # and the issuer centred on the page in the width the QR code leaves on both sides.
    qr_x = INNER[0] + INNER[2] - QR_GAP - QR_SIZE
    qr_y = INNER[1] + INNER[3] - QR_GAP - QR_SIZE
    foot_width = 2 * (qr_x - 12 - centre)
    values = {"verify": f"{text.verify_line} {text.verify_url}".strip()}
    foot_texts = [(values[key] if key in values else getattr(text, key), style) for key, style in FOOT]
    foot = [fit(pdf, value, style, foot_width) for value, style in foot_texts if value.strip()]
    foot_top = qr_y + QR_SIZE - _height(foot)  # its last line ends level with the QR code

    body_width = right - left
    body_bottom = min(foot_top, qr_y) - 18 if foot or text.verify_url else INNER[1] + INNER[3] - PADDING
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        # Rare: the body is taller than the page allows (long names *and* long titles in a
        # long translation): everything in it shrinks together rather than unevenly.
        body = [fit(pdf, getattr(text, key), _scaled(style, scale), body_width) for key, style in BODY
                if getattr(text, key).strip()]
        spare = body_bottom - top - _height(body)
        if spare >= 0:
            break
    if spare < 0 or foot_top < top:
        raise ValueError("the certificate's texts do not fit on one page")

    y = top + spare / 2  # the body is centred in the space above the foot
    for index, block in enumerate(body):
        y = _draw(pdf, block, y + (block.style.space_before if index else 0), centre)
    y = foot_top
    for index, block in enumerate(foot):
        y = _draw(pdf, block, y + (block.style.space_before if index else 0), centre)
    if text.verify_url:
        _qr(pdf, text.verify_url, qr_x, qr_y, QR_SIZE)
    return bytes(pdf.output())
