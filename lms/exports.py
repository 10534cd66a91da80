"""Tables as the page shows them, and their CSV and XLSX files - shared by every plugin.

A page builds a :class:`Table` of :class:`Cell` objects once; the template prints each
cell's ``text``, the CSV writes the same ``text``, and the XLSX stores the typed ``value``
behind it (a number, a date or a duration, with a ``number_format``), so an export cannot
drift from the screen. Plugins import this module, never each other's.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8 (Indonesian names intact)
MISSING = "—"  # shown (and exported) where there is no figure yet
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    values behind them (XLSX)."""
    header = [str(column.label) for column in table.columns]
    return [header] + [[(cell.value if typed else cell.text) for cell in row.cells] for row in table.rows]


def csv_bytes(table: Table) -> bytes:
    """One table as UTF-8 CSV with a byte-order mark and a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows_for_export(table))
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


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table: bold header, numbers and dates as typed values."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.title, taken))
        rows = rows_for_export(table, typed=True)
        sheet.append(rows[0])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row, source in zip(rows[1:], table.rows, strict=True):
            sheet.append(row)
            for target, cell in zip(sheet[sheet.max_row], source.cells, strict=True):
                if cell.number_format:
                    target.number_format = cell.number_format
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_response(table: Table, filename: str) -> Response:
    """A download of :func:`csv_bytes` (``filename`` must be plain ASCII, no quotes)."""
    return Response(csv_bytes(table), mimetype="text/csv; charset=utf-8", headers=_disposition(filename))


def xlsx_response(tables: list[Table], filename: str) -> Response:
    """A download of :func:`xlsx_bytes`."""
    return Response(xlsx_bytes(tables), mimetype=XLSX_MIMETYPE, headers=_disposition(filename))
