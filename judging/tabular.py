"""Read uploaded CSV/XLSX tables into header names and numbered rows, map column aliases, and write cells,
workbooks and fill-in templates that a spreadsheet opens safely."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
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
    "TemplateColumn",
    "normalize_header",
    "read_table",
    "resolve_columns",
    "template_bytes",
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
    "layout": "Column {letter} of the template must be “{expected}”, not “{found}”: "
              "the template's columns may not be moved, renamed or removed.",
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
    template: str | None = None  # for XLSX made by :func:`template_bytes`: its kind ("nominations", "experts")


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


def _template_marker(workbook) -> tuple[str | None, str | None]:
    """The kind and data sheet of a workbook made by :func:`template_bytes`, or (None, None)."""
    if MARKER_SHEET not in workbook.sheetnames:
        return None, None
    first = next(workbook[MARKER_SHEET].iter_rows(min_row=1, max_row=1, values_only=True), ())
    if len(first) >= 3 and first[0] == MARKER:
        return str(first[1]), str(first[2] or "")
    return None, None


def _data_sheet(workbook, title: str | None):
    # A template is read from its data sheet even when it was saved with the instructions sheet open.
    if title and title in workbook.sheetnames:
        return workbook[title]
    sheet = workbook.active
    if sheet is None or not hasattr(sheet, "iter_rows"):
        if not workbook.worksheets:
            raise TableError("no_sheet")
        sheet = workbook.worksheets[0]
    return sheet


def _read_xlsx(data: bytes, max_uncompressed: int) -> tuple[list[list[str]], str | None]:
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
        template, title = _template_marker(workbook)
        sheet = _data_sheet(workbook, title)
        # Some exporters write a wrong <dimension>, and read-only mode would trust it and
        # stop early; forget it and read what is really there.
        sheet.reset_dimensions()
        return [[_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True)], template
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
    template = None
    if data.startswith(ZIP_MAGIC):
        (records, template), fmt, encoding = _read_xlsx(data, max_uncompressed), "xlsx", None
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
    return Table(tuple(header), tuple(rows), fmt, encoding, template)


def normalize_header(name: str) -> str:
    """Fold a header for alias matching: NFKC, case, spaces, required-markers and colons."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "*:_-")


def resolve_columns(
    headers: Iterable[str],
    aliases: Mapping[str, Iterable[str]],
    *,
    required: Iterable[str] = (),
    layout: Sequence[tuple[str, str]] | None = None,
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
    layout : sequence of (field, header), optional
        For a table filled in one of our templates: the template's columns in order. Each column must
        still mean its field (by `aliases`), so a column moved, renamed or deleted is named in the error
        rather than read as another field; columns added after the last one are ignored.

    Returns
    -------
    ColumnMap

    Raises
    ------
    TableError
        One error naming every missing required column (by its first alias),
        or naming the columns when two headers map to the same field, or (with `layout`) naming the
        first column that is not where the template put it.
    """
    headers = tuple(headers)
    lookup: dict[str, str] = {}
    for field, names in aliases.items():
        for name in (field, *names):
            lookup[normalize_header(name)] = field
    for index, (field, expected) in enumerate(layout or ()):
        found = headers[index] if index < len(headers) else ""
        if lookup.get(normalize_header(found)) != field:
            raise TableError("layout", letter=column_letter(index), expected=expected, found=found)
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


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column `index` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# ------------------------------------------------------------------------------------------ writing

# Without a charset: Litestar adds "; charset=utf-8" to every text/* type, so naming it here doubled it.
CSV_TYPE = "text/csv"
DIGEST_TYPE = "text/plain"
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


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows (header included) as UTF-8 CSV with a BOM (Excel, which most offices open CSV files with,
    then reads the Chinese text), every cell neutralized. Nothing but the table: what describes it goes in
    the file name and in its :func:`digest_text` beside it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[csv_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]],
               *, formats: Mapping[str, Sequence[str | None]] | None = None) -> bytes:
    """A workbook with one sheet per ``(title, rows)``, every cell neutralized. ``formats``: per sheet title,
    a number format per column (``"0.00"``) for the rows below the header, so Excel shows 83.40, not 83.4."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        shown = (formats or {}).get(title)
        for number, row in enumerate(rows):
            if not shown or number == 0:
                sheet.append([formula_safe(v) for v in row])
                continue
            cells = []
            for value, fmt in zip(row, list(shown) + [None] * (len(row) - len(shown))):
                cell = WriteOnlyCell(sheet, value=formula_safe(value))
                if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell.number_format = fmt
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def digest_text(content: bytes, filename: str, *, about: Iterable[tuple[str, Any]] = ()) -> bytes:
    """The digest file that goes beside a download: ``about`` as ``# key: value`` lines, then the SHA-256 of
    `content` in ``sha256sum`` format, so ``sha256sum -c file.sha256`` (which skips ``#`` lines) checks it."""
    lines = [f"# {key}: {value}" for key, value in about]
    lines.append(f"{hashlib.sha256(content).hexdigest()}  {filename}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------ templates

MARKER = "judging-template"
MARKER_SHEET = "_lists"  # hidden: the marker on row 1, the drop-down lists below it
LAST_ROW = 1_048_576  # Excel's last row: a drop-down covers every row a user may fill


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a fill-in template, as the reader sees it (texts already translated)."""

    header: str
    required: bool = False
    example: Any = ""
    note: str = ""              # what to write, on the instructions sheet
    choices: Sequence[str] = ()  # a drop-down list
    strict: bool = True          # refuse a value outside `choices` (else the list only suggests)
    text: bool = False           # keep digits as typed (phones, patent numbers), not as a number
    width: int = 16


def template_bytes(*, kind: str, columns: Sequence[TemplateColumn], titles: Mapping[str, str],
                   labels: Mapping[str, str], instructions: Sequence[str]) -> bytes:
    """A fill-in workbook: an empty data sheet (headers, drop-downs), an instructions sheet, an example sheet,
    and a hidden sheet that holds the lists and marks the file as a `kind` template for :func:`read_table`.

    ``titles``: the sheets' names (``data``, ``instructions``, ``example``); ``labels``: the instructions
    table's headings (``column``, ``required``, ``note``, ``example``, ``yes``, ``no``); ``instructions``:
    paragraphs above that table. Headers of required columns end in `` *`` (ignored when read back).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    data = book.active
    data.title = titles["data"][:31]
    lists = book.create_sheet(MARKER_SHEET)
    lists.sheet_state = "hidden"
    lists.append([MARKER, kind, data.title])
    bold, shaded = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    headers = [c.header + (" *" if c.required else "") for c in columns]
    data.append(headers)
    filled = 0  # lists written so far on the hidden sheet, one column each
    for index, column in enumerate(columns):
        letter = column_letter(index)
        cell = data.cell(row=1, column=index + 1)
        cell.font, cell.fill = bold, shaded
        data.column_dimensions[letter].width = column.width
        if column.text:
            data.column_dimensions[letter].number_format = "@"
        if column.choices:
            lists_column, filled = column_letter(filled), filled + 1
            for row, choice in enumerate(column.choices, start=2):
                lists[f"{lists_column}{row}"] = formula_safe(choice)
            rule = DataValidation(type="list", allow_blank=not column.required,
                                  formula1=f"'{MARKER_SHEET}'!${lists_column}$2:${lists_column}${len(column.choices) + 1}",
                                  errorStyle="stop" if column.strict else "information",
                                  showErrorMessage=True, error=column.note or None, prompt=column.note or None)
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            data.add_data_validation(rule)
    data.freeze_panes = "A2"

    guide = book.create_sheet(titles["instructions"][:31], 1)
    for paragraph in instructions:
        guide.append([formula_safe(paragraph)])
    guide.append([])
    guide.append([labels["column"], labels["required"], labels["note"], labels["example"]])
    for cell in guide[guide.max_row]:
        cell.font, cell.fill = bold, shaded
    for column in columns:
        guide.append([column.header, labels["yes"] if column.required else labels["no"], formula_safe(column.note),
                      formula_safe(column.example)])
    for letter, width in zip("ABCD", (18, 8, 70, 30)):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    example = book.create_sheet(titles["example"][:31], 2)
    example.append(headers)
    example.append([formula_safe(c.example) for c in columns])
    for index, column in enumerate(columns):
        example.cell(row=1, column=index + 1).font = bold
        example.column_dimensions[column_letter(index)].width = column.width
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
