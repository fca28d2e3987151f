"""What an uploaded file is, decided from its bytes: never from its name alone, never from the
Content-Type the browser sent (which the sender chooses).

A group's documents, quotes, governing document and safeguarding policy must be what their names
say: an `.exe` renamed `report.pdf` is refused, naming the file. What the server decides here is
what it stores and serves the file as.

Magic numbers come from `puremagic`; the Office Open XML and OpenDocument formats are all ZIP
archives, told apart by what the archive holds (`word/`, `xl/`, the ODF `mimetype` entry).
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from pathlib import PurePath

import puremagic
from django.core.exceptions import ValidationError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ZIP = "application/zip"
UNKNOWN = "application/octet-stream"

# What each allowed extension must hold, and what people call it.
ACCEPTED: dict[str, tuple[str, str]] = {
    "pdf": (PDF, "a PDF"),
    "jpg": (JPEG, "a JPEG image"),
    "jpeg": (JPEG, "a JPEG image"),
    "png": (PNG, "a PNG image"),
    "docx": (DOCX, "a Word document"),
    "xlsx": (XLSX, "an Excel workbook"),
    "odt": (ODT, "an OpenDocument text document"),
    "ods": (ODS, "an OpenDocument spreadsheet"),
}
NAMES = {mime: name for mime, name in ACCEPTED.values()} | {ZIP: "a ZIP archive"}

# Enough for every magic number puremagic knows at the start of a file.
HEAD_BYTES = 8192


@contextmanager
def _reading(file):
    """The file, open and at its start, put back as it was found (a form or a service reads it
    again to store it)."""
    was_closed = getattr(file, "closed", False)
    if was_closed:
        file.open("rb")
    try:
        file.seek(0)
        yield file
    finally:
        if was_closed:
            file.close()
        else:
            file.seek(0)


def _zip_kind(file) -> str:
    """DOCX, XLSX, ODT or ODS by the archive's contents, else a plain ZIP."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                if declared in (ODT, ODS):
                    return declared
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        pass
    return ZIP


# Kinds a person may have sent by mistake, or someone sent on purpose, named in the refusal.
PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
OTHER_NAMES = {"text/html": "a web page", "image/gif": "a GIF image", "image/webp": "a WebP image"}


def detect(file) -> tuple[str, str]:
    """The MIME type of the file's content, and what a person would call it; for content of no
    type we know, application/octet-stream."""
    with _reading(file) as opened:
        head = opened.read(HEAD_BYTES)
        if head.startswith(b"PK\x03\x04"):
            opened.seek(0)
            kind = _zip_kind(opened)
            return kind, NAMES[kind]
    if not head:
        return UNKNOWN, "empty"
    if head.startswith(PROGRAMS):
        return UNKNOWN, "a program"
    try:
        found = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        found = []
    # puremagic ranks its matches; the first with a MIME type is its best judgement.
    mime = next((match.mime_type for match in found if match.mime_type), UNKNOWN)
    return mime, NAMES.get(mime) or OTHER_NAMES.get(mime) or "of a type that is not accepted"


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def validate_upload_content(file) -> None:
    """A validator: the content is what the file's extension says (PDF, image, Word, Excel,
    OpenDocument). An extension we do not accept is FileExtensionValidator's to refuse."""
    name = PurePath(file.name or "").name
    expected = ACCEPTED.get(_extension(name))
    if expected is None:
        return
    mime, what = detect(file)
    if mime != expected[0]:
        raise ValidationError(
            "%(name)s is not %(expected)s: its content is %(what)s. "
            "Upload the document itself, saved as %(expected)s.",
            code="content_not_extension",
            params={"name": name, "expected": expected[1], "what": what},
        )


def validate_new_upload(field_file) -> None:
    """Model.clean()'s check: a file just given (not one already stored, which was checked when
    it came) holds what its name says."""
    if field_file and not field_file._committed:  # Django's flag: not yet saved to storage
        validate_upload_content(field_file)


def content_type(file) -> str:
    """What the server stores and serves the file as: the type of its content when that is one
    we accept, else application/octet-stream (a download that no browser will render)."""
    mime, _ = detect(file)
    accepted = {mime for mime, _ in ACCEPTED.values()}
    return mime if mime in accepted else UNKNOWN
