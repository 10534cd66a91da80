"""Tables as the page shows them, and their CSV and XLSX files - shared by every plugin.

A page builds a :class:`Table` of :class:`Cell` objects once; the template prints each
cell's ``text``, the CSV writes the same ``text``, and the XLSX stores the typed ``value``
behind it (a number, a date or a duration, with a ``number_format``), so an export cannot
drift from the screen. Plugins import this module, never each other's.

Every text cell leaves through :func:`csv_field` or :func:`xlsx_bytes`, so text a user or a
trainer typed (a name, a title, a quiz stem) never becomes a spreadsheet formula: the XLSX
stores it as a string (as the page shows it), the CSV prefixes a dangerous one with ``'``
(OWASP's advice on CSV injection). Numbers stay numbers in both.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8 (Indonesian names intact)
MISSING = "—"  # shown (and exported) where there is no figure yet
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# What a spreadsheet reads as the start of a formula (OWASP's list, plus NUL as in ASVS 1.2.10).
# ``|`` and ``%`` are left alone: no spreadsheet starts a formula with them (DDE's ``|`` only
# counts after an ``=``, which is caught). Full-width and small forms (``＝``, ``﹢``) count as
# their ASCII selves (NFKC), as some spreadsheet locales convert them on input.
FORMULA_STARTS = "=+-@"
CONTROL_STARTS = "\t\r\0"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|[.,]\d+)%?")


def starts_formula(text: str) -> bool:
    """Whether ``text`` could be read as a formula: it starts with tab, CR or NUL, or its
    first non-blank character is (or normalises to) ``= + - @``."""
    if not text:
        return False
    if text[0] in CONTROL_STARTS:
        return True
    stripped = text.lstrip()
    return bool(stripped) and unicodedata.normalize("NFKC", stripped[0])[:1] in FORMULA_STARTS


def neutralise(text: str) -> str:
    """Text for a CSV field: a ``'`` before anything :func:`starts_formula`, so a spreadsheet
    shows it as text; anything else unchanged."""
    return "'" + text if starts_formula(text) else text


def csv_field(cell: Cell) -> str:
    """A cell's CSV text: a number as the page writes it (-0.25 stays -0.25), any other text
    through :func:`neutralise` - also a "number" whose text is not one (a defence in depth)."""
    if cell.numeric and _NUMBER.fullmatch(cell.text):
        return cell.text
    return neutralise(cell.text)


def half_up(value: float, places: int = 0) -> Decimal:
    """Round like people do (87.5 -> 88), not like Python's ``round`` (banker's)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Cell:
    """One table cell: ``text`` as the page and the CSV show it, ``value`` as the XLSX stores
    it (a number, a date, a duration or the same text; ``None`` when there is no figure)."""

    text: str
    value: Any = None
    number_format: str = ""

    @property
    def numeric(self) -> bool:
        return not isinstance(self.value, str) and self.value is not None


def text_cell(text: str | None) -> Cell:
    text = str(text) if text is not None else ""
    return Cell(text, text)


def int_cell(value: int) -> Cell:
    return Cell(str(int(value)), int(value))


def decimal_cell(value: float | None, places: int = 1) -> Cell:
    """Trailing zeros dropped (12.5, 20), as JP are written on certificates."""
    if value is None:
        return Cell(MISSING)
    rounded = half_up(value, places)
    number = float(rounded)
    text = f"{number:.{places}f}".rstrip("0").rstrip(".") if places else str(int(number))
    return Cell(text, int(number) if number.is_integer() else number)


def fixed_cell(value: float | None, places: int = 2) -> Cell:
    """A number with exactly ``places`` decimals (0.50, -0.25), rounded half up."""
    if value is None:
        return Cell(MISSING)
    rounded = half_up(value, places)
    return Cell(f"{rounded:.{places}f}", float(rounded), "0." + "0" * places if places else "0")


def percent_cell(value: float | None) -> Cell:
    """A whole percentage (the % sign is in the column header)."""
    if value is None:
        return Cell(MISSING)
    rounded = int(half_up(value))
    return Cell(str(rounded), rounded)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    numeric: bool = False
    sort: str = ""  # the ?sort= key, when the column can be sorted


@dataclass
class Row:
    cells: list[Cell]
    user_id: int | None = None
    css: str = ""


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)


def rows_for_export(table: Table, typed: bool = False) -> list[list[Any]]:
    """The header row, then the rows: cell texts exactly as on the page (CSV), or the typed
    values behind them (XLSX). Not yet safe for a spreadsheet: :func:`csv_bytes` and
    :func:`xlsx_bytes` neutralise formulas."""
    header = [str(column.label) for column in table.columns]
    return [header] + [[(cell.value if typed else cell.text) for cell in row.cells] for row in table.rows]


def csv_bytes(table: Table) -> bytes:
    """One table as UTF-8 CSV with a byte-order mark and a header row, no field a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(column.label)) for column in table.columns])
    writer.writerows([csv_field(cell) for cell in row.cells] for row in table.rows)
    return (BOM + out.getvalue()).encode("utf-8")


def _sheet_title(title: Any, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique in the book."""
    base = "".join("-" if ch in '[]:*?/\\' else ch for ch in str(title))[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def _as_text(target) -> None:
    """Store a text cell as a string whatever it starts with (openpyxl makes any text that
    starts with ``=`` a formula), so it reads exactly as on the page; one that could look like
    a formula also gets Excel's quote prefix, so editing the cell keeps it text."""
    if isinstance(target.value, str):
        target.data_type = "s"
        if starts_formula(target.value):
            target.quotePrefix = True


def _xlsx_value(value: Any) -> Any:
    """A text with control characters XML cannot hold (a vertical tab pasted from a word
    processor into a name) written in OOXML's ``_xHHHH_`` form, which Excel and LibreOffice
    read back as the character: the text is kept, and the export does not fail for everyone
    who can see that person."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub(lambda match: f"_x{ord(match.group()):04X}_", value)
    return value


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table: bold header, numbers and dates as typed values,
    text as strings (never a formula)."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.title, taken))
        rows = [[_xlsx_value(value) for value in row] for row in rows_for_export(table, typed=True)]
        sheet.append(rows[0])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            _as_text(cell)
        for row, source in zip(rows[1:], table.rows, strict=True):
            sheet.append(row)
            for target, cell in zip(sheet[sheet.max_row], source.cells, strict=True):
                _as_text(target)
                if cell.number_format:
                    target.number_format = cell.number_format
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(data: bytes | str, mimetype: str, filename: str) -> Response:
    """A file download (``filename`` must be plain ASCII, no quotes). ``mimetype`` is the bare
    type: Werkzeug adds ``; charset=utf-8`` to ``text/*`` itself (passing it here too would
    send it twice)."""
    if ";" in mimetype:
        raise ValueError(f"a bare mimetype, without parameters: {mimetype!r}")
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_response(table: Table, filename: str) -> Response:
    """A download of :func:`csv_bytes` (``text/csv; charset=utf-8``)."""
    return download(csv_bytes(table), "text/csv", filename)


def xlsx_response(tables: list[Table], filename: str) -> Response:
    """A download of :func:`xlsx_bytes`."""
    return download(xlsx_bytes(tables), XLSX_MIMETYPE, filename)
