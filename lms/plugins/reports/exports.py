"""CSV and XLSX files of the dashboard tables: the same :class:`~.dashboard.Table` objects the
page renders, written cell for cell (see :func:`.dashboard.rows_for_export`)."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from lms.plugins.reports.dashboard import Table, rows_for_export

BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8 (Indonesian names intact)


def csv_bytes(table: Table) -> bytes:
    """One table as UTF-8 CSV with a byte-order mark and a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows_for_export(table))
    return (BOM + out.getvalue()).encode("utf-8")


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table: bold header, numbers and dates as typed values."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=str(table.title)[:31].replace("/", "-"))
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
