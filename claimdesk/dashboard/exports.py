"""CSV and XLSX of a dashboard section: the same header and cells the page shows."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from .sections import Section, cell_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel number formats giving the page's text for each column kind
NUMBER_FORMATS = {"int": "0", "pct": "0.0", "hours": "0.00", "days": "0.0", "money": "0.00"}


def to_csv(section: Section) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(section.headers)
    writer.writerows(section.text_rows())
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
    """One sheet per section: typed cells (numbers stay numbers) formatted as on the page."""
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


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if kind in ("int", "pct", "hours", "days") and not isinstance(value, (int, float)):
        return value
    return value
