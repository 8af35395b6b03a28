"""Read uploaded CSV/XLSX tables into header names and numbered rows, map column aliases, and write cells
that a spreadsheet opens safely."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ColumnMap",
    "Row",
    "RowError",
    "Table",
    "TableError",
    "normalize_header",
    "read_table",
    "resolve_columns",
]

# User-facing texts live here, in one place, so they can be put through Babel later.
MESSAGES = {
    "empty": "The file is empty.",
    "no_header": "The first row must hold the column names, but it is empty.",
    "xls": "Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV (UTF-8).",
    "bad_xlsx": "The file looks like an Excel workbook but cannot be read: {detail}",
    "no_sheet": "The workbook has no worksheet.",
    "encoding": (
        "The file is neither UTF-8 nor GB18030/GBK text. Save it as CSV (UTF-8) "
        "or as an .xlsx workbook."
    ),
    "binary": "The file is not a text table (it contains binary data).",
    "bad_csv": "The CSV file cannot be read: {detail}",
    "missing": "Missing required column(s): {columns}.",
    "ambiguous": "Columns {columns} all mean “{field}”; keep only one of them.",
    "too_many_rows": "The table has more than {limit} data rows.",
    "xlsx_too_big": "The workbook unpacks to more than {limit} MB.",
}

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc container


class TableError(ValueError):
    """The file as a whole cannot be used as a table (as opposed to a bad row).

    `key` names the entry of :data:`MESSAGES` and `params` fills it, so a caller
    can show the message through its own translations; ``str()`` is the English text.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(MESSAGES[key].format(**params) if params else MESSAGES[key])
        self.key = key
        self.params = params


@dataclass(frozen=True)
class RowError:
    """One problem in one cell: `row` is the 1-based spreadsheet row (header = 1)."""

    row: int
    column: str | None
    problem: str


@dataclass(frozen=True)
class Row:
    """A data row: `number` is the spreadsheet row a user sees; `values` align with headers."""

    number: int
    values: tuple[str, ...]

    def get(self, index: int | None) -> str:
        if index is None or index >= len(self.values):
            return ""
        return self.values[index]


@dataclass(frozen=True)
class Table:
    """Header names (stripped, possibly repeated or empty) and the non-empty data rows."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    format: str  # "csv" or "xlsx"
    encoding: str | None = None  # for CSV: the encoding that decoded it


@dataclass(frozen=True)
class ColumnMap:
    """Canonical field name -> column index, for the fields found in a table."""

    indexes: Mapping[str, int]
    headers: tuple[str, ...]
    unknown: tuple[str, ...]  # header names that matched no field (ignored, reported)

    def value(self, row: Row, field: str) -> str:
        return row.get(self.indexes.get(field))

    def header(self, field: str) -> str:
        """The header the user wrote for `field` (used in row errors), or the field name."""
        index = self.indexes.get(field)
        return self.headers[index] if index is not None else field


def _cell_text(value: object) -> str:
    """Render one XLSX cell as the text a user typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Phone numbers and IDs typed into Excel come back as floats; 13912345678.0 must
        # read as the digits the user sees.
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export.
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise TableError("encoding") from None
    if b"\x00" in data:
        raise TableError("binary")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, which Chinese-locale Excel writes.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise TableError("encoding") from None


def _read_csv(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated; everything else we see uses commas.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError("bad_csv", detail=exc) from None
    return [[cell.strip() for cell in record] for record in records], encoding


def _read_xlsx(data: bytes, max_uncompressed: int) -> list[list[str]]:
    # Imported lazily: CSV-only callers should not pay for openpyxl.
    import zipfile

    from openpyxl import load_workbook

    try:
        declared = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError("bad_xlsx", detail=exc) from None
    if declared > max_uncompressed:
        # An upload is untrusted: refuse a workbook that would inflate to gigabytes.
        raise TableError("xlsx_too_big", limit=max_uncompressed // (1024 * 1024))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A part whose XML does not parse raises SyntaxError (xml.etree's ParseError and lxml's XMLSyntaxError
    # both derive from it): a broken file, not a crash.
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise TableError("bad_xlsx", detail=exc) from None
    try:
        sheet = workbook.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            if not workbook.worksheets:
                raise TableError("no_sheet")
            sheet = workbook.worksheets[0]
        # Some exporters write a wrong <dimension>, and read-only mode would trust it and
        # stop early; forget it and read what is really there.
        sheet.reset_dimensions()
        return [[_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, SyntaxError) as exc:  # a sheet's XML is read lazily
        raise TableError("bad_xlsx", detail=exc) from None
    finally:
        workbook.close()


def read_table(
    data: bytes,
    filename: str = "",
    *,
    max_rows: int | None = None,
    max_uncompressed: int = 200 * 1024 * 1024,
) -> Table:
    """Read a CSV or XLSX upload into a :class:`Table`.

    Parameters
    ----------
    data : bytes
        The uploaded file. The format is decided by content, not by `filename`:
        a ZIP container is read as XLSX, anything else as CSV text.
    filename : str
        Only used to word errors; kept for symmetry with upload handlers.
    max_rows : int, optional
        Refuse tables with more data rows than this.
    max_uncompressed : int
        Refuse XLSX files whose parts declare more bytes than this.

    Returns
    -------
    Table
        `headers` are the first row's cells, stripped; `rows` are the following
        rows that are not entirely empty, each with its 1-based spreadsheet row
        number (the header is row 1), padded or cut to the header's width
        (extra cells beyond the header are kept only if non-empty).

    Notes
    -----
    CSV encodings tried in order: UTF-16 with BOM, UTF-8 (with or without BOM),
    GB18030 (a superset of GBK/GB2312). The delimiter is a comma, or a tab
    when the first line has more tabs than commas (Excel's "Unicode text"). Empty rows anywhere are skipped but row
    numbers stay those of the spreadsheet, so errors point at the right line.
    """
    del filename
    if not data or not data.strip():
        raise TableError("empty")
    if data.startswith(OLE_MAGIC):
        raise TableError("xls")
    if data.startswith(ZIP_MAGIC):
        records, fmt, encoding = _read_xlsx(data, max_uncompressed), "xlsx", None
    else:
        (records, encoding), fmt = _read_csv(data), "csv"

    header_at = next((i for i, r in enumerate(records) if any(r)), None)
    if header_at is None:
        raise TableError("empty")
    if header_at != 0:
        raise TableError("no_header")
    header = list(records[0])
    while header and not header[-1]:
        header.pop()
    width = len(header)

    rows: list[Row] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(record):
            continue
        values = list(record[:width]) + [""] * (width - len(record))
        extra = list(record[width:])
        while extra and not extra[-1]:
            extra.pop()
        rows.append(Row(number, tuple(values + extra)))
        if max_rows is not None and len(rows) > max_rows:
            raise TableError("too_many_rows", limit=max_rows)
    return Table(tuple(header), tuple(rows), fmt, encoding)


def normalize_header(name: str) -> str:
    """Fold a header for alias matching: NFKC, case, spaces, required-markers and colons."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "*:_-")


def resolve_columns(
    headers: Iterable[str],
    aliases: Mapping[str, Iterable[str]],
    *,
    required: Iterable[str] = (),
) -> ColumnMap:
    """Map a table's headers to canonical field names.

    Parameters
    ----------
    headers : iterable of str
        The table's header cells.
    aliases : mapping
        Field name -> accepted header names (Chinese and English). The field name
        itself is always accepted. Matching ignores case, width, spaces, ``*``,
        ``:``, ``_`` and ``-``.
    required : iterable of str
        Fields that must be present.

    Returns
    -------
    ColumnMap

    Raises
    ------
    TableError
        One error naming every missing required column (by its first alias),
        or naming the columns when two headers map to the same field.
    """
    headers = tuple(headers)
    lookup: dict[str, str] = {}
    for field, names in aliases.items():
        for name in (field, *names):
            lookup[normalize_header(name)] = field
    found: dict[str, list[int]] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        field = lookup.get(normalize_header(header))
        if field is None:
            unknown.append(header)
        else:
            found.setdefault(field, []).append(index)
    for field, indexes in found.items():
        if len(indexes) > 1:
            columns = ", ".join(f"“{headers[i]}”" for i in indexes)
            raise TableError("ambiguous", columns=columns, field=field)
    missing = [f for f in required if f not in found]
    if missing:
        def label(field: str) -> str:
            names = list(aliases.get(field, ()))
            return f"“{names[0]}” ({field})" if names else f"“{field}”"

        raise TableError("missing", columns=", ".join(label(f) for f in missing))
    return ColumnMap({f: ix[0] for f, ix in found.items()}, headers, tuple(unknown))


# ------------------------------------------------------------------------------------------ writing

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula is quoted (OWASP, "CSV injection"): one starting
    with =, +, -, @, a tab or a carriage return that is not a plain number. Every export goes through it."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _is_number(value):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest exact form: the number that was stored
    return formula_safe(value)


def csv_bytes(rows: Iterable[Sequence[Any]], *, comments: Iterable[str] = ()) -> bytes:
    """Rows (header included) as UTF-8 CSV with a BOM (Excel, which most offices open CSV files with,
    then reads the Chinese text), every cell neutralized; ``comments`` are ``# ...`` lines on top."""
    buffer = io.StringIO()
    for comment in comments:
        buffer.write(f"# {comment}\n")
    csv.writer(buffer, lineterminator="\n").writerows([[csv_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per ``(title, rows)``, every cell neutralized."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        for row in rows:
            sheet.append([formula_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
