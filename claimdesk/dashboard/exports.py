"""CSV and XLSX of a dashboard section: the same header and cells the page shows."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from .sections import Section, cell_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel number formats giving the page's text for each column kind
NUMBER_FORMATS = {"int": "0", "pct": "0.0", "hours": "0.00", "days": "0.0", "money": "0.00"}


#: a text cell starting with one of these is a formula (or turns into one) in Excel, LibreOffice and
#: Google Sheets: `=HYPERLINK(…)` in an insurer's name would be live in every store's export (OWASP
#: "CSV injection"); tab and CR are on the list because spreadsheets strip them before parsing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: column kinds that hold numbers: their (possibly negative) values are not text and stay as they are
NUMERIC_KINDS = {"int", "pct", "hours", "days", "money"}


def neutralise(text: str) -> str:
    """A text cell a spreadsheet shows as the text it is: a leading apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(section: Section) -> bytes:
    """Every text cell (headers included) neutralised; numeric columns as the page shows them."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in section.headers])
    kinds = [c.kind for c in section.columns]
    writer.writerows([cell if kind in NUMERIC_KINDS else neutralise(cell) for cell, kind in zip(row, kinds)]
                     for row in section.text_rows())
    # UTF-8 with BOM: Excel on Chinese Windows opens it with the right encoding
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet_title(text: str, used: set) -> str:
    bad = '[]:*?/\\'
    title = "".join("_" if ch in bad else ch for ch in text)[:31] or "sheet"
    base, n = title, 2
    while title in used:
        suffix = f" ({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def to_xlsx(sections: list[Section], *, title_of=lambda s: s.key) -> bytes:
    """One sheet per section: typed cells (numbers stay numbers) formatted as on the page. Text is always
    written as a string cell: openpyxl would store a text starting with `=` as a live formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set = set()
    for section in sections:
        ws = wb.create_sheet(_sheet_title(str(title_of(section)), used))
        ws.append(section.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            ws.append([_xlsx_value(v, c.kind) for v, c in zip(row, section.columns)])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    _as_text(cell)
        for idx, column in enumerate(section.columns, start=1):
            fmt = NUMBER_FORMATS.get(column.kind)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                    cell.number_format = fmt
            width = max([len(str(column.title))] + [len(cell_text(r[idx - 1], column.kind)) for r in section.rows])
            ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = min(60, max(8, width + 2))
    if not wb.sheetnames:
        wb.create_sheet("empty")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _as_text(cell) -> None:
    """A string cell, never a formula; one that looks like a formula also gets Excel's own "quote prefix"
    (shown as text, and it stays text when edited)."""
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if kind in ("int", "pct", "hours", "days") and not isinstance(value, (int, float)):
        return value
    return value
