"""Worksheet helpers shared by the report workbook, the review workbook and the reconciliation sheet.

Cells hold crawled text, which is untrusted: control characters that XLSX cannot store are removed,
text is capped at Excel's cell limit, and anything a spreadsheet would read as a formula is neutralised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from outputs.export import neutralise

EXCEL_CELL_LIMIT = 32767
VERDICT_FILLS = {
    "met": "C6EFCE",
    "not_met": "FFC7CE",
    "needs_review": "FFEB9C",
    "not_applicable": "D9D9D9",
    "not_assessed": "EDEDED",
}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LINK_FONT = Font(color="0563C1", underline="single")


def cell_value(value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_LIMIT]
        return neutralise(value)
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(cell_value) if not frame.empty else frame


def is_web_url(url: str) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def column_index(ws: Worksheet, header: str) -> int | None:
    """1-based index of a header in row 1."""
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    return None


def style_sheet(
    ws: Worksheet,
    widths: dict[str, int] | None = None,
    verdict_columns: Iterable[str] = (),
    link_columns: Iterable[str] = (),
    wrap_columns: Iterable[str] = (),
    max_width: int = 60,
) -> None:
    """Frozen bold header, autofilter, readable widths, verdict fills and clickable http(s) links."""
    if ws.max_row < 1 or ws.max_column < 1:
        return
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    widths = widths or {}
    sample_rows = min(ws.max_row, 200)  # iterating past max_row would create empty cells
    for cell in ws[1]:
        header = str(cell.value or "")
        letter = get_column_letter(cell.column)
        if header in widths:
            width = widths[header]
        else:
            sample = [len(str(c.value)) for c in next(ws.iter_cols(cell.column, cell.column, 1, sample_rows))
                      if c.value is not None]
            width = max([len(header) + 2, *[min(n, max_width) + 2 for n in sample]])
        ws.column_dimensions[letter].width = min(max(width, 8), max_width)
    for header in verdict_columns:
        col = column_index(ws, header)
        if col is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            colour = VERDICT_FILLS.get(str(cell.value or ""))
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour)
    for header in link_columns:
        col = column_index(ws, header)
        if col is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if is_web_url(str(cell.value or "")):
                cell.hyperlink = str(cell.value)
                cell.font = LINK_FONT
    for header in wrap_columns:
        col = column_index(ws, header)
        if col is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_frame(writer: pd.ExcelWriter, frame: pd.DataFrame, sheet: str, columns: Sequence[str]) -> Worksheet:
    """Write a frame (empty ones keep their header) and return its worksheet."""
    frame = frame.reindex(columns=list(columns))
    safe_frame(frame).to_excel(writer, sheet_name=sheet, index=False)
    return writer.sheets[sheet]
