"""Storing and serving the documents the council produces: the shared kernel's half.

Each app builds its own PDFs (on `fundmgr.letterhead`) and hands the bytes to `document_store`,
which keeps them with their SHA-256 as a new version of that kind of document for that record.
Documents are records: a stored file is never overwritten or deleted. Producing a document whose
bytes are exactly those of its latest version adds nothing (the same SHA-256: the same
document), so a statement downloaded twice in a day is stored once.

    from fundmgr.documents import document_response, document_store

    document = document_store(
        kind="remittance",
        reference="CCIF26-000001",
        key="payment:42",
        description="Remittance advice for CCIF26-000001, payment 1",
        content=pdf_bytes,
        by=request.user,  # or None when a step of the system produced it
    )
    return document_response(document)  # in a view that has checked who may see it

`manage.py document KIND REFERENCE` writes any of them to a file: each app says which kinds it
produces with `document_kind`, from its `AppConfig.ready()`, so the kernel's command names no app.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import FileResponse

from fundmgr.faults import crash_point
from fundmgr.models import Document, User

ATTEMPTS = 3


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document `manage.py document` writes: what its REFERENCE is (for --help), and
    a function from the reference to the stored document (`fresh`: build it again from the
    records rather than give the one stored, for kinds that keep what was sent)."""

    reference: str
    produce: Callable[[str, bool], Document]


# Each kind, by the name the command takes: filled in by the apps when they are ready.
KINDS: dict[str, DocumentKind] = {}


def document_kind(name: str, reference: str, produce: Callable[[str, bool], Document]) -> None:
    """Say that `manage.py document NAME REFERENCE` writes this kind; each name once."""
    if name in KINDS:
        raise ValueError(f"The document kind {name} is registered already.")
    KINDS[name] = DocumentKind(reference, produce)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def latest(kind: str, key: str) -> Document | None:
    """The newest version of a kind of document for one record, or None."""
    return Document.objects.filter(kind=kind, key=key).order_by("-version").first()


def _filename(kind: str, reference: str, version: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", reference).strip("-") or "document"
    return f"{kind}-{safe}-v{version}.pdf"


def document_store(
    *,
    kind: str,
    reference: str,
    key: str,
    description: str,
    content: bytes,
    by: User | None = None,
) -> Document:
    """Keep `content` as the next version of `kind` for `key`, or return the latest version if
    it holds exactly these bytes. Safe when two requests store at once (the version number is
    unique; the loser takes the next one)."""
    digest = sha256(content)
    for attempt in range(ATTEMPTS):
        current = latest(kind, key)
        if current is not None and current.sha256 == digest:
            return current
        version = (
            Document.objects.filter(kind=kind, key=key).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        document = Document(
            kind=kind,
            reference=reference,
            key=key,
            description=description[:200],
            version=version,
            sha256=digest,
            size=len(content),
            created_by=by if getattr(by, "pk", None) else None,
        )
        document.file.save(_filename(kind, reference, version), ContentFile(content), save=False)
        crash_point("document:file-saved")  # the file is stored, its record not yet
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            document.file.storage.delete(document.file.name)  # never used: nobody was sent it
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return document
    raise AssertionError("unreachable")


def stored_content(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def document_response(document: Document) -> FileResponse:
    """The stored bytes as a download (Content-Disposition: attachment). The caller checks that
    the person may see it first."""
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.filename,
        content_type="application/pdf",
    )
    response["X-Content-SHA256"] = document.sha256
    response["Cache-Control"] = "private, no-store"
    return response
