"""Importing a council's own files: the shared framework every import is built on.

A council arrives with spreadsheets (wards, councillors, groups, past grants, this year's
position). Each kind of import is an `Importer` subclass in its own app, registered with
`@register`; this module reads the file, runs the importer's check of every row, writes only when
nothing was refused (all or nothing, in one transaction), and keeps an `ImportRun` of each run
with its per-row report (`Report`: row, column, value, reason). The administrator's page
(fundmgr/import_views.py) and each app's management command (`ImportCommand`) call `run_import`.

- `read_table`: CSV (UTF-8 with or without BOM, UTF-16 as Excel's "Unicode text", else
  Windows-1252 with a note; comma, semicolon or tab) or XLSX (openpyxl, imported here lazily:
  start-up stays light). Headings are matched to a `Column`'s name or aliases ignoring case,
  spaces, underscores and punctuation, so "  GSS Code " is `gss_code`.
- `parse_date`, `parse_money`: the forms people type (UK day first; "£1,234.50", "(12.00)").
- An importer's `plan` checks EVERY row and never writes; `apply` writes what `plan` returned.
  Importing the same file twice makes every row "unchanged" the second time: that is each
  importer's duty (plan compares with what is there).

Importers are found by `importers()` for the page: those registered with `@register`, after
importing each installed app's `importers` module if it has one (as Django's admin finds
`admin.py`) and its `management/commands/import_*.py` commands (whose `importer` is taken even
if it was not registered).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fundmgr.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from fundmgr.models import Council, ImportRun

ACTIONS = ("create", "change", "unchanged", "skip", "warn", "refuse")
# What the summary line calls each action, before and after the import is done.
WOULD = {
    "create": "to create",
    "change": "to change",
    "unchanged": "unchanged",
    "skip": "skipped",
    "warn": "with a warning",
    "refuse": "refused",
}
DONE = {**WOULD, "create": "created", "change": "changed"}
# The largest file the page or a command takes: the biggest council's grant history is a few MB.
MAX_BYTES = 10 * 1024 * 1024
# What a file may hold, whatever its size in bytes: a workbook is a zip, and a few KB of it can
# unpack to gigabytes, or name a sheet a million rows long and 16,384 columns wide.
MAX_ROWS = 100_000  # rows with something in them
MAX_COLUMNS = 200  # columns read from each row; headings beyond are not seen
MAX_UNPACKED = 256 * 1024 * 1024  # a workbook's parts, unpacked
MAX_MERGES = 10_000
BLANK_RUN = 10_000  # empty rows in a row after which the rest of a sheet is taken as empty
# How long a clean check keeps its file for "Import these rows": a council's files hold names
# and addresses, kept no longer than the work needs.
KEEP_FILES = datetime.timedelta(days=7)


# --- columns, rows, tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # canonical: "gss_code"
    required: bool = True
    aliases: tuple[str, ...] = ()  # other headings accepted: "GSS code", "WD23CD", "Ward code"
    help: str = ""  # one line for the page and --help


@dataclass
class Row:
    number: int  # the row number the person sees in their spreadsheet (heading row = 1)
    values: dict[str, str]  # canonical column -> text, stripped, spaces collapsed, "" when blank
    raw: dict[str, str]  # heading as in the file -> text as in the file


@dataclass
class Table:
    rows: list[Row]
    columns: list[str]  # canonical columns found
    notes: list[Outcome] = field(default_factory=list)  # file-level: row None, action "warn"


def heading_key(text: str) -> str:
    """A heading as it is compared: case, spaces, underscores and punctuation ignored."""
    return re.sub(r"[\W_]+", "", text.casefold())


def tidy(text: str) -> str:
    """A value as an importer reads it: stripped, inner runs of spaces (non-breaking ones too)
    made one space."""
    return " ".join(text.split())


def read_table(
    data: bytes, filename: str, columns: Sequence[Column], *, sheet: str | None = None
) -> Table:
    """The file's rows under the importer's columns. Raises InvalidInput (a message for people)
    when the file cannot be read or lacks a required column."""
    notes: list[Outcome] = []
    if not data.strip():
        raise InvalidInput(f"{filename} is empty.")
    if data.startswith(b"PK\x03\x04"):
        grid = _xlsx_rows(data, sheet, notes)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            f"{filename} is an old Excel file (.xls): save it as an Excel workbook (.xlsx) "
            "or as CSV, and import that."
        )
    else:
        grid = _csv_rows(data, notes)
    return _table(grid, filename, columns, notes)


def _csv_rows(data: bytes, notes: list[Outcome]) -> list[tuple[int, list[str]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            notes.append(
                Outcome(
                    None,
                    "warn",
                    reason="The file is not UTF-8: it was read as Windows-1252, as Excel saves "
                    "CSV. Check that names with accents or £ signs look right.",
                )
            )
    if "\x00" in text:
        raise InvalidInput("The file is not a CSV or XLSX spreadsheet.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    filled = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(c.strip() for c in cells):
                filled += 1
                if filled > MAX_ROWS + 1:
                    raise _too_many_rows()
            rows.append((number, cells[:MAX_COLUMNS]))
    except csv.Error as error:
        raise InvalidInput(f"The file is not a CSV file that can be read: {error}.") from None
    return rows


def _too_many_rows() -> InvalidInput:
    return InvalidInput(
        f"The file has more than {MAX_ROWS:,} rows: split it into smaller files and import each."
    )


def _xlsx_rows(data: bytes, sheet: str | None, notes: list[Outcome]) -> list[tuple[int, list[str]]]:
    """The sheet's rows, read in openpyxl's read-only mode (memory stays flat, and it is faster
    by a third); its merged cells, which that mode does not read, from the sheet's own XML."""
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    _unpacked_size_allowed(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or non-Excel zip: openpyxl raises many kinds
        raise InvalidInput("The file is not an Excel workbook that can be read.") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise InvalidInput(
                f"The workbook has no sheet called {sheet!r}: its sheets are "
                f"{', '.join(book.sheetnames)}."
            )
        grid = _sheet_grid(ws, notes)
        merged = _merged_cells(data, getattr(ws, "_worksheet_path", ""))
    finally:
        book.close()
    if len(merged) > MAX_MERGES:
        raise InvalidInput(
            f"The sheet has more than {MAX_MERGES:,} merged cells: unmerge them (select the "
            "sheet, then Merge & Center off) and import again."
        )
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        # Within what was read: a merge reaching beyond the last row or column read adds none.
        max_row, max_col = min(max_row, len(grid)), min(max_col, MAX_COLUMNS)
        if min_row > max_row or min_col > max_col:
            continue
        top_left = grid[min_row - 1][min_col - 1] if len(grid[min_row - 1]) >= min_col else ""
        for row in range(min_row, max_row + 1):
            cells = grid[row - 1]
            cells.extend([""] * (max_col - len(cells)))
            for col in range(min_col, max_col + 1):
                cells[col - 1] = top_left
    if merged:
        notes.append(
            Outcome(
                None,
                "warn",
                value=", ".join(merged[:10]) + (" and more" if len(merged) > 10 else ""),
                reason="Merged cells were read as if each cell held the merged value.",
            )
        )
    return list(enumerate(grid, start=1))


def _unpacked_size_allowed(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNPACKED, before any is read."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput("The file is not an Excel workbook that can be read.") from None
    if unpacked > MAX_UNPACKED:
        raise InvalidInput(
            f"The workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB, more than an import "
            f"reads ({MAX_UNPACKED // 1024 // 1024} MB): save the sheet you need as CSV, or "
            "split it, and import that."
        )


def _sheet_grid(ws, notes: list[Outcome]) -> list[list[str]]:
    """The sheet's cells as text, row by row: the first MAX_COLUMNS columns, at most MAX_ROWS
    rows with something in them, and nothing after BLANK_RUN empty rows in a row (a sheet
    formatted to its last row, or one whose size is a lie, reads as what it holds)."""
    grid: list[list[str]] = []
    filled = blank_run = 0
    # The sheet's own account of its size (<dimension>) is not trusted: a stale one would hide
    # rows, a false one would pad every row to it.
    ws.reset_dimensions()
    for values in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS):
        last = len(values)
        while last and values[last - 1] is None:
            last -= 1
        cells = [_cell_text(v) for v in values[:last]]
        if any(c.strip() for c in cells):
            filled += 1
            if filled > MAX_ROWS + 1:
                raise _too_many_rows()
            blank_run = 0
            grid.append(cells)
            continue
        blank_run += 1
        if blank_run > BLANK_RUN:
            notes.append(
                Outcome(
                    None,
                    "warn",
                    value=f"row {len(grid) + 1:,}",
                    reason=f"After {BLANK_RUN:,} empty rows in a row the rest of the sheet was "
                    "taken as empty.",
                )
            )
            break
        grid.append([])
    while grid and not grid[-1]:
        grid.pop()
    return grid


MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _merged_cells(data: bytes, path: str) -> list[str]:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile):
        return []
    return [ref.decode() for ref in MERGE_CELL.findall(xml)]


def _cell_text(value: Any) -> str:
    """A cell as the text a person reads in it: dates as 2026-10-01, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _table(
    grid: list[tuple[int, list[str]]], filename: str, columns: Sequence[Column], notes
) -> Table:
    grid = [(number, cells) for number, cells in grid if any(c.strip() for c in cells)]
    if not grid:
        raise InvalidInput(f"{filename} has no rows.")
    (_, headings), body = grid[0], grid[1:]
    known = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            known.setdefault(heading_key(name), column.name)
    where: dict[str, int] = {}  # canonical column -> its index in the file
    extra = []
    for index, heading in enumerate(headings):
        name = known.get(heading_key(heading))
        if name is None or name in where:
            if heading.strip():
                extra.append(tidy(heading))
            continue
        where[name] = index
    missing = [c for c in columns if c.required and c.name not in where]
    if missing:
        named = "; ".join(
            c.name + (f" (or {', '.join(repr(a) for a in c.aliases)})" if c.aliases else "")
            for c in missing
        )
        found = ", ".join(repr(tidy(h)) for h in headings if h.strip())
        raise InvalidInput(
            f"The file has no column for {named}. Its headings are: {found}. "
            "The first row that is not blank must hold the headings."
        )
    if extra:
        notes.append(
            Outcome(
                None,
                "warn",
                value=", ".join(extra),
                reason="These columns are not used by this import and were ignored.",
            )
        )
    rows = []
    for number, cells in body:
        cells = cells + [""] * (len(headings) - len(cells))
        rows.append(
            Row(
                number=number,
                values={name: tidy(cells[index]) for name, index in where.items()},
                raw={h: cells[i] for i, h in enumerate(headings) if h.strip()},
            )
        )
    names = [c.name for c in columns if c.name in where]
    return Table(rows=rows, columns=names, notes=notes)


# --- values -------------------------------------------------------------------------------------

DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d %B %Y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%d %B, %Y",
)


def parse_date(text: str) -> datetime.date:
    """A date as people write it in the UK, day first. ValueError with a plain message."""
    cleaned = tidy(text)
    cleaned = re.sub(
        r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$",
        r"\1",
        cleaned,
    )
    cleaned = re.sub(r"^(\d{1,2})(st|nd|rd|th)\b", r"\1", cleaned, flags=re.IGNORECASE)
    cleaned = re.sub(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? ", "", cleaned, flags=re.IGNORECASE)
    if cleaned.lower().split(" ")[1:2] == ["sept"]:
        cleaned = re.sub(r"(?i)\bsept\b", "Sep", cleaned)
    for form in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    raise ValueError(
        f"{text.strip()!r} is not a date that can be read: write it as 1/10/2026, "
        "1 October 2026 or 2026-10-01 (day first)."
    )


def parse_money(text: str) -> Decimal:
    """An amount in pounds: "£1,234.50", "1234.5", "-12", "(12.00)" (negative). Two places;
    ValueError with a plain message beyond two places or when it is not an amount."""
    cleaned = tidy(text).replace(",", "").replace(" ", "")
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1]
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:]
    cleaned = cleaned.removeprefix("£").removeprefix("GBP")
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:]
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not re.fullmatch(r"[\d.]+", cleaned):
        raise ValueError(f"{text.strip()!r} is not an amount of money: write it as 1234.50.")
    places = amount.quantize(Decimal("0.01"))
    if places != amount:
        raise ValueError(f"{text.strip()!r} has more than two places of pence.")
    return -places if negative else places


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    row: int | None  # None for a file-level note
    action: str  # "create" | "change" | "unchanged" | "skip" | "warn" | "refuse"
    column: str = ""
    value: str = ""
    reason: str = ""  # a plain sentence a council officer understands
    record: str = ""  # what it is about: "Ward Abbey (E05012345)"

    def line(self, *, dry_run: bool = True) -> str:
        where = f"Row {self.row}" if self.row is not None else "The file"
        if self.column:
            where += f", column {self.column}"
            if self.value:
                where += f" ({self.value!r})"
        elif self.value:
            where += f" ({self.value})"
        verb = {"refuse": "refused", "warn": "warning", "skip": "skipped"}.get(self.action)
        if verb is None:
            verb = (WOULD if dry_run else DONE)[self.action]
            verb = {"to create": "would create", "to change": "would change"}.get(verb, verb)
        text = f"{where}: {verb}"
        if self.record:
            text += f" {self.record}"
        if self.reason:
            text += f": {self.reason}"
        return text


REPORT_COLUMNS = ("row", "action", "column", "value", "reason", "record")


class Report:
    def __init__(self, kind: str, filename: str, dry_run: bool):
        self.kind = kind
        self.filename = filename
        self.dry_run = dry_run
        self.outcomes: list[Outcome] = []
        self.run: ImportRun | None = None  # the record of this run, once run_import has kept it

    def add(
        self,
        row: int | None,
        action: str,
        *,
        column: str = "",
        value: str = "",
        reason: str = "",
        record: str = "",
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"Unknown import action {action!r}: one of {', '.join(ACTIONS)}.")
        self.outcomes.append(Outcome(row, action, column, value, reason, record))

    @property
    def refused(self) -> bool:
        return any(o.action == "refuse" for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """How many outcomes of each action, every action named (0 when none)."""
        counts = dict.fromkeys(ACTIONS, 0)
        for outcome in self.outcomes:
            counts[outcome.action] += 1
        return counts

    def summary(self) -> str:
        counts = self.counts()
        words = WOULD if self.dry_run or self.refused else DONE
        parts = [f"{n} {words[a]}" for a, n in counts.items() if n] or ["no rows"]
        verb = "Checked" if self.dry_run else "Refused" if self.refused else "Imported"
        head = f"{verb} {self.filename}: {', '.join(parts)}."
        if self.refused:
            return head + " Nothing was imported: put the refused rows right and try again."
        if self.dry_run:
            return head + " This was a check only: nothing was imported."
        return head

    def lines(self) -> list[str]:
        return [o.line(dry_run=self.dry_run or self.refused) for o in self.outcomes] + [
            self.summary()
        ]

    def as_csv(self) -> bytes:
        """The report for a spreadsheet: UTF-8 with a BOM (so Excel reads £ and accents), and no
        value a spreadsheet would run as a formula."""
        from fundmgr.exports import defused

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(REPORT_COLUMNS)
        for o in self.outcomes:
            writer.writerow(
                [
                    "" if o.row is None else o.row,
                    o.action,
                    defused(o.column),
                    defused(o.value),
                    defused(o.reason),
                    defused(o.record),
                ]
            )
        return "\ufeff".encode() + out.getvalue().encode()


# --- importers ----------------------------------------------------------------------------------


class Importer(ABC):
    """One kind of import. Subclass, set the class attributes, write `plan` and `apply`."""

    kind: ClassVar[str]  # "wards", "councillors", "organisations", "360giving", ...
    title: ClassVar[str]  # "Wards"
    columns: ClassVar[tuple[Column, ...]] = ()
    accepts: ClassVar[tuple[str, ...]] = (".csv", ".xlsx")
    description: ClassVar[str] = ""  # a sentence or two for the page
    sample: ClassVar[tuple[dict[str, str], ...]] = ()  # rows of a sample file (column -> text)
    do_not_call_in_templates: ClassVar[bool] = True  # the page lists the classes themselves

    def __init__(self, *, council: Council, by=None, options: dict | None = None):
        self.council = council
        self.by = by  # the User, or None from a command
        self.options = options or {}

    @classmethod
    def add_arguments(cls, parser) -> None:
        """The command's own options (`--as-funder`): their values come in `options`."""
        return None  # none by default: an optional hook, not an abstract one

    @classmethod
    def sample_csv(cls) -> bytes:
        """A sample file: the columns' headings, then the `sample` rows."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.name for c in cls.columns])
        for row in cls.sample:
            writer.writerow([row.get(c.name, "") for c in cls.columns])
        return "\ufeff".encode() + out.getvalue().encode()

    def read(self, data: bytes, filename: str) -> Table:
        """The file's rows; of a workbook, the sheet the `sheet` option names (the first when
        none does)."""
        return read_table(data, filename, self.columns, sheet=self.options.get("sheet") or None)

    @abstractmethod
    def plan(self, table: Table, report: Report) -> object:
        """Check every row and add an Outcome for each; write nothing."""

    @abstractmethod
    def apply(self, plan: object, report: Report) -> None:
        """Write what `plan` returned (inside transaction.atomic; only when nothing was refused
        and this is not a dry run)."""


ImporterType = TypeVar("ImporterType", bound=type[Importer])
_registry: dict[str, type[Importer]] = {}
_discovered = False


def register(cls: ImporterType) -> ImporterType:
    _registry[cls.kind] = cls
    return cls


def importers() -> dict[str, type[Importer]]:
    """Every registered importer by kind, in the order of their titles."""
    global _discovered
    if not _discovered:
        _discover()
        _discovered = True
    return dict(sorted(_registry.items(), key=lambda item: item[1].title))


def _discover() -> None:
    """Import each app's `importers` module and its `import_*` management commands: an
    importer is registered by `@register`, or found as its command's `importer`."""
    import importlib
    import os

    from django.apps import apps
    from django.core.management import find_commands
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("importers")
    for app in apps.get_app_configs():
        for name in find_commands(os.path.join(app.path, "management")):
            if name.startswith("import_"):
                module = importlib.import_module(f"{app.name}.management.commands.{name}")
                command = getattr(module, "Command", None)
                importer = getattr(command, "importer", None)
                if isinstance(importer, type) and issubclass(importer, Importer):
                    _registry.setdefault(importer.kind, importer)


def run_import(
    importer_cls: type[Importer],
    data: bytes,
    filename: str,
    *,
    council: Council,
    by=None,
    dry_run: bool,
    options: dict | None = None,
) -> Report:
    """Read, check every row, and (unless a row was refused or this is a dry run) write it all
    in one transaction. Keeps an ImportRun of the run (`report.run`). An exception inside
    `apply` other than a DomainError rolls everything back and is raised again."""
    from fundmgr import councils

    report = Report(importer_cls.kind, filename, dry_run)
    with councils.acting_for(council):
        importer = importer_cls(council=council, by=by, options=options)
        try:
            if len(data) > MAX_BYTES:
                raise InvalidInput(
                    f"{filename} is {len(data) / 1024 / 1024:.1f} MB: the largest file an import "
                    f"takes is {MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
                )
            suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
            if suffix not in importer_cls.accepts:
                raise InvalidInput(
                    f"{importer_cls.title} are imported from {' or '.join(importer_cls.accepts)} "
                    f"files; {filename} is not one."
                )
            table = importer.read(data, filename)
            report.outcomes.extend(table.notes)
            if dry_run:
                importer.plan(table, report)
            else:
                with transaction.atomic():
                    plan = importer.plan(table, report)
                    if not report.refused:
                        importer.apply(plan, report)
        except DomainError as error:
            report.add(None, "refuse", reason=error.message)
        report.run = _keep(report, data, council=council, by=by, options=options)
    return report


def _keep(report: Report, data: bytes, *, council, by, options) -> ImportRun:
    from django.utils import timezone

    from fundmgr.models import ImportRun

    # The council's older checks let their files go (their reports stay).
    ImportRun.objects.filter(data__isnull=False, at__lt=timezone.now() - KEEP_FILES).update(
        data=None
    )
    return ImportRun.objects.create(
        council=council,
        kind=report.kind,
        filename=report.filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        dry_run=report.dry_run,
        refused=report.refused,
        counts=report.counts(),
        options=_plain(options or {}),
        report=report.as_csv().decode("utf-8-sig"),
        # A clean check keeps its file, for "Import these rows" without a second upload.
        data=data if report.dry_run and not report.refused and len(data) <= MAX_BYTES else None,
        by=by,
    )


def _plain(options: dict) -> dict:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in options.items()
    }


def import_kept(run: ImportRun, *, by) -> Report:
    """Apply the file a clean dry run kept (the page's "Import these rows"): it is checked again
    as it is applied, since the council's records may have changed since. The kept file is let go
    once it is applied; a second click finds nothing to import."""
    from fundmgr.models import ImportRun

    importer_cls = importers().get(run.kind)
    if importer_cls is None:
        raise InvalidInput(f"There is no {run.kind} import on this service any more.")
    with transaction.atomic():
        kept = ImportRun.objects.select_for_update().get(pk=run.pk)
        if kept.data is None:
            raise InvalidInput("This file has already been imported, or was not kept.")
        data = bytes(kept.data)
        report = run_import(
            importer_cls,
            data,
            kept.filename,
            council=kept.council,
            by=by,
            dry_run=False,
            options=kept.options,
        )
        if not report.refused:
            kept.data = None
            kept.imported_as = report.run.pk if report.run else None
            kept.save(update_fields=["data", "imported_as"])
    return report


# --- the management command ---------------------------------------------------------------------

BASE_OPTIONS = {"file", "dry_run", "council", "report"}


class ImportCommand(BaseCommand):
    """`class Command(ImportCommand): importer = WardsImporter` in an app's
    management/commands/import_<kind>.py."""

    importer: ClassVar[type[Importer]]

    @property
    def help(self) -> str:  # type: ignore[override]
        columns = "; ".join(
            f"{c.name}{'' if c.required else ' (optional)'}"
            + (f": {c.help.rstrip('.')}" if c.help else "")
            for c in self.importer.columns
        )
        return f"Import {self.importer.title.lower()} from a file. Columns: {columns}."

    def add_arguments(self, parser):
        parser.add_argument("file", help=f"The file ({', '.join(self.importer.accepts)}).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; write nothing."
        )
        parser.add_argument(
            "--council",
            help="The council's slug or GSS code (needed when the service has several).",
        )
        parser.add_argument("--report", help="Write the per-row report as CSV to this path.")
        before = {action.dest for action in parser._actions}
        parser.add_argument("--sheet", help="Of an Excel workbook, the sheet to read (the first).")
        self.importer.add_arguments(parser)
        self._own = {action.dest for action in parser._actions} - before

    def handle(self, *args, **options):
        from fundmgr import councils
        from fundmgr.models import Council

        with councils.across_the_service():
            every = list(Council.objects.order_by("pk"))
        names = ", ".join(c.slug or c.gss_code for c in every)
        if options["council"]:
            wanted = options["council"]
            council = next((c for c in every if wanted in (c.slug, c.gss_code)), None)
            if council is None:
                raise CommandError(
                    f"No council has the slug {options['council']!r}: the councils are {names}."
                )
        elif len(every) == 1:
            council = every[0]
        else:
            raise CommandError(
                f"This service has {len(every)} councils: name one with --council SLUG ({names})."
            )
        path = options["file"]
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror}.") from None
        own = {dest: options[dest] for dest in getattr(self, "_own", set()) if dest in options}
        report = run_import(
            self.importer,
            data,
            path.rsplit("/", 1)[-1],
            council=council,
            by=None,
            dry_run=options["dry_run"],
            options=own,
        )
        for line in report.lines():
            self.stdout.write(line)
        if options["report"]:
            with open(options["report"], "wb") as file:
                file.write(report.as_csv())
        if report.refused:
            raise CommandError(
                f"Nothing was imported: {report.counts()['refuse']} refused (see the lines above)."
            )
