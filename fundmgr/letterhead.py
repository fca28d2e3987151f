"""The council's letterhead and typography: one look for every document the product sends.

Offer letters, decision notices, budget statements, panel packs, remittance advice and clawback
requests are all built from these pieces with reportlab's platypus. The council's name, address,
e-mail, phone and logo are its own settings (fundmgr.models.Council): of the council `render`
is given, else of the council the work is for (fundmgr.council_settings.council_for: the one
in scope, or the service's only council). The font is Liberation Sans (Arial's metrics),
embedded in every PDF so that a letter looks the same wherever it is opened. Page 1 carries the
letterhead; every page carries the document's reference and "Page N of M". The same content
gives the same bytes (reportlab's invariant mode), so a stored document's SHA-256 identifies it.

Usage, a remittance advice say::

    import datetime
    from decimal import Decimal

    from fundmgr import letterhead as lh

    story = [
        lh.address_block(
            ["Friends of Abbey Park", "1 Park Lane", "Thornbury Vale", "TV1 2AB"],
            reference="CCIF26-000001",
            date=datetime.date(2026, 7, 1),
        ),
        lh.heading("Remittance advice"),
        lh.paragraph("We have paid the grant below into your bank account."),
        lh.key_values([("Paid into", lh.masked_bank_account("200000", "12345678"))]),
        lh.amounts_table(
            ["Payment", "What for", "Amount"],
            [["CCIF26-000001/1", "Grant: payment 1 of 1", Decimal("500.00")]],
            total=Decimal("500.00"),
        ),
        lh.sign_off(),
    ]
    pdf: bytes = lh.render(story, title="Remittance advice", reference="CCIF26-000001")

Text given to `paragraph`, `heading`, `key_values`, `amounts_table`, `numbered` and `bullets` is
plain text: it is escaped, so a group called "Tom & Jerry's <Club>" prints as typed. Use
`markup()` only for text you wrote yourself with <b>, <i> or <br/>, escaping what you put in it
with `escape()`. Nothing here imports an app: it is the shared kernel.
"""

from __future__ import annotations

import datetime
import functools
import io
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape as _escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from fundmgr.money import pounds

__all__ = [
    "CONTENT_WIDTH",
    "FONT",
    "FONT_BOLD",
    "STYLES",
    "KeepTogether",
    "LetterheadError",
    "PageBreak",
    "Spacer",
    "address_block",
    "amounts_table",
    "bullets",
    "escape",
    "heading",
    "key_values",
    "long_date",
    "markup",
    "masked_bank_account",
    "numbered",
    "paragraph",
    "council",
    "register_fonts",
    "render",
    "sign_off",
    "space",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BOTTOM = 22 * mm  # the footer sits below this
LATER_TOP = 24 * mm  # pages after the first: a small running header above this

FONT = "LiberationSans"
FONT_BOLD = "LiberationSans-Bold"
FONT_ITALIC = "LiberationSans-Italic"
FONT_BOLD_ITALIC = "LiberationSans-BoldItalic"
FONT_FILES = {
    FONT: "LiberationSans-Regular.ttf",
    FONT_BOLD: "LiberationSans-Bold.ttf",
    FONT_ITALIC: "LiberationSans-Italic.ttf",
    FONT_BOLD_ITALIC: "LiberationSans-BoldItalic.ttf",
}
# Debian's fonts-liberation2 and fonts-liberation (either has Arial's metrics), then Fedora's.
FONT_DIRS = (
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/liberation-sans",
    "/usr/share/fonts/liberation",
)

INK = colors.HexColor("#0b0c0c")
SECONDARY = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")


class LetterheadError(ImproperlyConfigured):
    """The documents cannot be made as configured: the font or the logo is missing."""


# --- fonts -----------------------------------------------------------------------------------

_fonts_lock = threading.Lock()
_fonts_ready = False


def font_dir() -> Path:
    """The folder holding Liberation Sans: DOCUMENT_FONT_DIR (setting or environment) first."""
    configured = getattr(settings, "DOCUMENT_FONT_DIR", "") or os.environ.get("DOCUMENT_FONT_DIR")
    candidates = [configured] if configured else list(FONT_DIRS)
    for folder in candidates:
        if all((Path(folder) / name).is_file() for name in FONT_FILES.values()):
            return Path(folder)
    raise LetterheadError(
        "Documents are set in Liberation Sans (the metrics of Arial), embedded in each PDF, and "
        f"its files ({', '.join(FONT_FILES.values())}) were not found in "
        f"{' or '.join(candidates)}. On Debian or Ubuntu install them with "
        "`apt-get install fonts-liberation`; elsewhere set DOCUMENT_FONT_DIR to the folder that "
        "holds them."
    )


def register_fonts() -> None:
    """Load the font once per process (thread-safe); LetterheadError if it is missing."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        folder = font_dir()
        for name, filename in FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
        )
        _fonts_ready = True


# --- typography ------------------------------------------------------------------------------


def _style(name: str, **kwargs) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": 10, "leading": 13.5, "textColor": INK}
    return ParagraphStyle(name, **{**base, **kwargs})


STYLES: dict[str, ParagraphStyle] = {
    "body": _style("body", spaceAfter=6),
    "lead": _style("lead", fontSize=11.5, leading=15, spaceAfter=8),
    "h1": _style("h1", fontName=FONT_BOLD, fontSize=17, leading=21, spaceBefore=2, spaceAfter=8),
    "h2": _style("h2", fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=4),
    "h3": _style("h3", fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2),
    "small": _style("small", fontSize=8.5, leading=11, textColor=SECONDARY, spaceAfter=4),
    "list": _style("list", leftIndent=8 * mm, bulletIndent=0, spaceAfter=3),
    "signature": _style("signature", spaceAfter=0),
    "cell": _style("cell", fontSize=9, leading=11.5),
    "cell_bold": _style("cell_bold", fontName=FONT_BOLD, fontSize=9, leading=11.5),
    "cell_amount": _style("cell_amount", fontSize=9, leading=11.5, alignment=TA_RIGHT),
    "cell_amount_head": _style(
        "cell_amount_head", fontName=FONT_BOLD, fontSize=9, leading=11.5, alignment=TA_RIGHT
    ),
    "label": _style("label", fontName=FONT_BOLD, fontSize=9.5, leading=12.5),
    "value": _style("value", fontSize=9.5, leading=12.5),
    "value_amount": _style("value_amount", fontSize=9.5, leading=12.5, alignment=TA_RIGHT),
    "address": _style("address", fontSize=10.5, leading=14),
}


def escape(text: object) -> str:
    """Plain text made safe to put inside `markup()`."""
    return _escape("" if text is None else str(text))


@functools.lru_cache(maxsize=4096)
def _parsed(text: str, style: str) -> tuple[ParagraphStyle, list]:
    """A paragraph's parsed fragments, shared by every document that prints the same text (the
    terms and conditions, headings, labels): parsing is a third of a letter's time. Fragments
    are only read once made."""
    parsed = Paragraph(text, STYLES[style])
    return parsed.style, parsed.frags


def _para(text: str, style: str, bullet: str | None = None) -> Paragraph:
    register_fonts()  # a paragraph looks up its font family as it is made
    parsed_style, frags = _parsed(text, style)
    return Paragraph(text, parsed_style, bulletText=bullet, frags=frags)


def _plain(text: str, style: str, bullet: str | None = None) -> Paragraph:
    """One line of plain text as a paragraph, without the markup parser: its fragment is the
    style's own with the text put in (it prints as the escaped text parsed would, faster)."""
    register_fonts()
    parsed_style, frags = _parsed("x", style)
    return Paragraph(text, parsed_style, bulletText=bullet, frags=[frags[0].clone(text=text)])


def _text(value: object, style: str, bullet: str | None = None) -> Paragraph:
    text = "" if value is None else str(value).strip()
    if "\n" in text:
        return _para(escape(text).replace("\n", "<br/>"), style, bullet)
    return _plain(" ".join(text.split()), style, bullet)


def markup(text: str, *, style: str = "body") -> Paragraph:
    """A paragraph of reportlab mini-HTML (<b>, <i>, <br/>) that you wrote: escape what you
    interpolate into it with `escape()`."""
    return _para(text, style)


def paragraph(text: object, *, style: str = "body") -> Paragraph:
    """A paragraph of plain text; line breaks in it are kept."""
    return _text(text, style)


def heading(text: object, level: int = 1) -> Paragraph:
    return _text(text, f"h{level}")


def space(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


def numbered(items: Iterable[object], *, start: int = 1) -> list[Paragraph]:
    """A numbered list, each item a paragraph that wraps under its own text."""
    return [_text(item, "list", f"{n}.") for n, item in enumerate(items, start=start)]


def bullets(items: Iterable[object]) -> list[Paragraph]:
    return [_text(item, "list", "\u2022") for item in items]


def long_date(day: datetime.date | datetime.datetime | None) -> str:
    """23 November 2026, as letters write it."""
    if day is None:
        return ""
    return f"{day.day} {day:%B %Y}"


def masked_bank_account(sort_code: str, account_number: str) -> str:
    """Bank details as documents show them: 20-**-** ****5678, never the whole number."""
    sort_digits = "".join(ch for ch in str(sort_code) if ch.isdigit())
    account_digits = "".join(ch for ch in str(account_number) if ch.isdigit())
    return f"{sort_digits[:2]}-**-** ****{account_digits[-4:]}"


# --- building blocks -------------------------------------------------------------------------


def _cell(value: object, style: str = "cell", width: float | None = None) -> Flowable | str | list:
    """A table cell: a plain string when it fits on one line of `width` (drawn in the font the
    table's style gives the cell: much faster than a paragraph), else a wrapping paragraph."""
    if isinstance(value, Flowable):
        return value
    if isinstance(value, list | tuple):
        return list(value)  # flowables stacked in one cell
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        value = pounds(value)
    text = "" if value is None else str(value).strip()
    if width is not None and "\n" not in text:
        look = STYLES[style]
        register_fonts()
        if pdfmetrics.stringWidth(text, look.fontName, look.fontSize) <= width:
            return text
    return _text(text, style)


def address_block(
    lines: Sequence[object],
    *,
    reference: str,
    date: datetime.date | None = None,
    details: Sequence[tuple[str, object]] = (),
) -> Table:
    """The recipient's name and address on the left, where a window envelope shows it, and on
    the right our reference, the date and any `details` (label, value) pairs."""
    address = [paragraph(line, style="address") for line in lines if str(line).strip()]
    right = [("Our reference", reference)]
    if date is not None:
        right.append(("Date", long_date(date)))
    right += list(details)
    facts = Table(
        [[_cell(label, "cell_bold"), _cell(value)] for label, value in right],
        colWidths=[27 * mm, 43 * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
    )
    block = Table(
        [[address, facts]],
        colWidths=[CONTENT_WIDTH - 70 * mm, 70 * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8 * mm),
        ],
    )
    return block


KV_PADDING = 6


def key_values(
    pairs: Sequence[tuple[object, object]],
    *,
    label_width: float = 0.34,
    align_amounts: bool = False,
) -> Table:
    """A summary list: a bold label and its value on each row (amounts as pounds). The value
    may be text, a Decimal, a flowable or a list of flowables. `align_amounts` sets amounts
    flush right, so that a column of them lines up (a statement's totals)."""
    amount_style = "value_amount" if align_amounts else "value"
    widths = [CONTENT_WIDTH * label_width, CONTENT_WIDTH * (1 - label_width)]
    room = [w - KV_PADDING for w in widths]
    rows = [
        [
            _cell(label, "label", room[0]),
            _cell(value, amount_style if isinstance(value, Decimal) else "value", room[1]),
        ]
        for label, value in pairs
    ]
    style = [
        ("FONT", (0, 0), (0, -1), FONT_BOLD, 9.5, 12.5),
        ("FONT", (1, 0), (1, -1), FONT, 9.5, 12.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), KV_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if align_amounts:
        style += [
            ("ALIGN", (1, n), (1, n), "RIGHT")
            for n, (_, value) in enumerate(pairs)
            if isinstance(value, Decimal)
        ]
    table = Table(rows, colWidths=widths, splitByRow=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


AMOUNT_WIDTH = 28 * mm  # room for -£1,000,000.00 at 9pt
CELL_PADDING = 4


def amounts_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    widths: Sequence[float] | None = None,
    amounts: Iterable[int] | None = None,
    total: Decimal | None = None,
    total_label: str = "Total",
    total_column: int | None = None,
) -> Table:
    """A table whose amount columns are right-aligned (figures line up: the font's digits are
    all one width). Its header row repeats on every page and a long table breaks between rows.

    `amounts`: the indexes of the amount columns; by default every column holding a Decimal.
    Amounts (Decimal) print as pounds; other cells wrap as plain text. `widths`: each column's
    share of the page width (summing to 1 at most); by default amount columns get room for
    -£1,000,000.00 and the others share the rest. `total` adds a bold last row, its amount in
    `total_column` (by default the last amount column).
    """
    columns = len(header)
    if amounts is None:
        amount_columns = {
            i for row in rows for i, value in enumerate(row) if isinstance(value, Decimal)
        }
    else:
        amount_columns = set(amounts)
    if widths is None:
        text_columns = columns - len(amount_columns)
        rest = CONTENT_WIDTH - AMOUNT_WIDTH * len(amount_columns)
        col_widths = [
            AMOUNT_WIDTH if i in amount_columns else rest / max(text_columns, 1)
            for i in range(columns)
        ]
    else:
        col_widths = [CONTENT_WIDTH * share for share in widths]

    room = [w - 2 * CELL_PADDING for w in col_widths]

    def cell(i: int, value: object) -> object:
        if i in amount_columns:
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                return pounds(value)  # a plain string: fast, and aligned by the table style
            return _cell(value, "cell_amount", room[i])
        return _cell(value, "cell", room[i])

    data: list[list[object]] = [
        [
            _para(escape(h), "cell_amount_head" if i in amount_columns else "cell_bold")
            for i, h in enumerate(header)
        ]
    ]
    data += [[cell(i, value) for i, value in enumerate(row)] for row in rows]
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 9, 11.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    for i in amount_columns:
        style.append(("ALIGN", (i, 0), (i, -1), "RIGHT"))
    if total is not None:
        if total_column is not None:
            last_amount = total_column
        else:
            last_amount = max(amount_columns) if amount_columns else columns - 1
        total_row: list[object] = [""] * columns
        total_row[0] = _para(escape(total_label), "cell_bold")
        total_row[last_amount] = pounds(total)
        data.append(total_row)
        style += [
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 9, 11.5),
            ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
            ("LINEBELOW", (0, -1), (-1, -1), 0, colors.white),
            ("ALIGN", (last_amount, -1), (last_amount, -1), "RIGHT"),
        ]
        if last_amount > 0:
            style.append(("SPAN", (0, -1), (last_amount - 1, -1)))
    table = Table(data, colWidths=col_widths, repeatRows=1, splitByRow=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def sign_off(lines: Sequence[str] | None = None, *, council: object = None) -> KeepTogether:
    """Yours sincerely, and who from (by default the grants team of the council the work is
    for, or of `council`)."""
    lines = list(lines) if lines else ["Community Grants Team", _council(council).name]
    return KeepTogether(
        [space(2), paragraph("Yours sincerely,"), space(8)]
        + [paragraph(line, style="signature") for line in lines]
    )


# --- the council and its pages ---------------------------------------------------------------


@dataclass(frozen=True)
class Council:
    name: str
    address: tuple[str, ...]
    email: str
    phone: str
    logo: str


def council(owner: object = None) -> Council:
    """The letterhead of the council the work is for (`owner`: a council, its id, or a row it
    owns; else the council in scope), or the service's name alone when there is none."""
    return _council(owner)


def _council(owner: object = None) -> Council:
    from fundmgr import council_settings

    if isinstance(owner, Council):
        return owner
    found = council_settings.council_for(owner)
    if found is None:
        return Council(name=council_settings.name(None), address=(), email="", phone="", logo="")
    return Council(
        name=found.name,
        address=tuple(found.address_lines),
        email=found.email,
        phone=found.phone,
        logo=_logo_path(found.logo),
    )


def _logo_path(logo) -> str:
    """Where the council's logo file is: an upload under MEDIA_ROOT, or the absolute path an
    installation's COUNCIL_LOGO named before councils had their own settings."""
    if not logo:
        return ""
    if os.path.isabs(logo.name):
        return logo.name
    return logo.path


_logos: dict[tuple[str, float], ImageReader] = {}


def _logo(path: str) -> ImageReader:
    """The logo, read once per file version."""
    try:
        stamp = os.stat(path).st_mtime
    except OSError:
        raise LetterheadError(
            f"The council's logo {path} cannot be read: upload it again (PNG or JPEG) in the "
            "council's settings, or clear it for a letterhead without a logo."
        ) from None
    key = (path, stamp)
    if key not in _logos:
        try:
            _logos[key] = ImageReader(path)
        except Exception as error:  # Pillow's errors vary by format
            raise LetterheadError(f"The council's logo {path} is not an image: {error}") from None
    return _logos[key]


LOGO_HEIGHT = 16 * mm
LOGO_MAX_WIDTH = 60 * mm
LETTERHEAD_TOP = 14 * mm


def _letterhead_height(who: Council) -> float:
    left = (LOGO_HEIGHT + 3 * mm if who.logo else 0) + 7 * mm
    contact = len(who.address) + bool(who.email) + bool(who.phone)
    right = contact * 11
    return LETTERHEAD_TOP + max(left, right) + 9 * mm


def _fitting_size(name: str, width: float, largest: float = 15, smallest: float = 9) -> float:
    """The council's name as large as it fits beside its address, down to 9pt."""
    size = largest
    while size > smallest and pdfmetrics.stringWidth(name, FONT_BOLD, size) > width:
        size -= 0.5
    return size


def _fitted(text: str, width: float, size: float = 8) -> str:
    """`text` cut short with an ellipsis so that it fits `width` at `size`."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "\u2026", FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _draw_letterhead(canvas: Canvas, who: Council) -> None:
    """Page 1: the logo and the council's name on the left, its address and contact details on
    the right, a rule beneath."""
    top = PAGE_HEIGHT - LETTERHEAD_TOP
    y = top
    if who.logo:
        image = _logo(who.logo)
        width, height = image.getSize()
        scale = min(LOGO_HEIGHT / height, LOGO_MAX_WIDTH / width)
        canvas.drawImage(
            image,
            MARGIN,
            top - height * scale,
            width * scale,
            height * scale,
            mask="auto",
        )
        y = top - LOGO_HEIGHT - 3 * mm
    contact = [line for line in (*who.address, who.email, who.phone) if line]
    widest = max((pdfmetrics.stringWidth(line, FONT, 8.5) for line in contact), default=0)
    canvas.setFillColor(INK)
    canvas.setFont(FONT_BOLD, _fitting_size(who.name, CONTENT_WIDTH - widest - 8 * mm))
    canvas.drawString(MARGIN, y - 13, who.name)
    canvas.setFont(FONT, 8.5)
    canvas.setFillColor(SECONDARY)
    line_y = top - 8
    for line in contact:
        canvas.drawRightString(PAGE_WIDTH - MARGIN, line_y, line)
        line_y -= 11
    rule_y = PAGE_HEIGHT - _letterhead_height(who) + 5 * mm
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, rule_y, PAGE_WIDTH - MARGIN, rule_y)


class _Canvas(Canvas):
    """Holds each page until the last is laid out, then stamps every page with the reference
    and "Page N of M"."""

    furniture: tuple[str, str, str] = ("", "", "")  # council name, title, reference

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held)
        for number, page in enumerate(self._held, start=1):
            self.__dict__.update(page)
            self._stamp(number, total)
            super().showPage()
        super().save()

    def _stamp(self, number: int, total: int) -> None:
        name, title, reference = self.furniture
        self.saveState()
        self.setFont(FONT, 8)
        self.setFillColor(SECONDARY)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        foot = 12 * mm
        self.line(MARGIN, foot + 10, PAGE_WIDTH - MARGIN, foot + 10)
        self.drawString(MARGIN, foot, f"Reference {reference}")
        self.drawRightString(PAGE_WIDTH - MARGIN, foot, f"Page {number} of {total}")
        if number > 1:
            head = PAGE_HEIGHT - 13 * mm
            right = f"Reference {reference}"
            room = CONTENT_WIDTH - pdfmetrics.stringWidth(right, FONT, 8) - 8 * mm
            self.drawString(MARGIN, head, _fitted(f"{name}: {title}", room))
            self.drawRightString(PAGE_WIDTH - MARGIN, head, right)
            self.line(MARGIN, head - 5, PAGE_WIDTH - MARGIN, head - 5)
        self.restoreState()


HEADING_ROOM = 18 * mm  # a heading starts a new page unless this much room is left below it


def _headings_kept_with_text(flowables: Iterable[Flowable]) -> list[Flowable]:
    """A heading never ends a page: each is preceded by a conditional page break. (Cheaper than
    keepWithNext, which also pushes a long table that could have started on this page to the
    next.)"""
    story: list[Flowable] = []
    for flowable in flowables:
        style = getattr(flowable, "style", None)
        if story and isinstance(flowable, Paragraph) and style is not None:
            if style.name in ("h1", "h2", "h3"):
                story.append(CondPageBreak(HEADING_ROOM))
        story.append(flowable)
    return story


def render(
    flowables: Iterable[Flowable],
    *,
    title: str,
    reference: str,
    subject: str = "",
    council: object = None,
) -> bytes:
    """The PDF of `flowables` on the council's letterhead, with `reference` and "Page N of M" on
    every page. `title` is the PDF's title and the running header of pages after the first.
    The same flowables give the same bytes. `council` (a council, its id, or a row it owns)
    names whose letterhead; by default the council the work is for."""
    register_fonts()
    who = _council(council)
    buffer = io.BytesIO()
    first_top = _letterhead_height(who)
    first = Frame(
        MARGIN,
        BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - first_top - BOTTOM,
        id="first",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    later = Frame(
        MARGIN,
        BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - LATER_TOP - BOTTOM,
        id="later",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=who.name,
        subject=subject or title,
        creator="fundmgr",
        invariant=1,
        pageCompression=1,
        initialFontName=FONT,
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                id="letterhead",
                frames=[first],
                onPage=lambda canvas, _doc: _draw_letterhead(canvas, who),
                autoNextPageTemplate="later",
            ),
            PageTemplate(id="later", frames=[later]),
        ]
    )
    canvas_class = type("_DocumentCanvas", (_Canvas,), {"furniture": (who.name, title, reference)})
    doc.build(_headings_kept_with_text(flowables), canvasmaker=canvas_class)
    return buffer.getvalue()
