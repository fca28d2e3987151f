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

A document that follows records which change (a statement, a panel pack) is made by a background
task when someone asks for it: `document_prepared` serves the version made from the records as
they stand, or asks for it and answers a page saying it is being prepared (202).

`manage.py document KIND REFERENCE` writes any of them to a file: each app says which kinds it
produces with `document_kind`, from its `AppConfig.ready()`, so the kernel's command names no app.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django_tasks.base import Task

from fundmgr.faults import crash_point
from fundmgr.models import Document, User
from fundmgr.tasks import enqueue, in_the_database

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


# --- documents made in the background, on request -------------------------------------------


def story_digest(*parts: object) -> str:
    """A SHA-256 of what a document says (the text of its letterhead story, and anything else
    given): equal while the records it prints are unchanged, different once they change. Cheap
    next to laying out the PDF."""
    digest = hashlib.sha256()
    for text in _texts(parts):
        digest.update(text.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def _texts(item: object):
    from reportlab.platypus import Paragraph, Spacer, Table

    if item is None:
        return
    if isinstance(item, (list, tuple)):
        for part in item:
            yield from _texts(part)
    elif isinstance(item, Paragraph):
        yield item.text
        if item.bulletText:
            yield str(item.bulletText)
    elif isinstance(item, Table):
        yield from _texts(item._cellvalues)
    elif hasattr(item, "_content"):  # KeepTogether and its kin
        yield from _texts(item._content)
    elif isinstance(item, Spacer):
        yield f"spacer:{item.height}"
    elif isinstance(item, (str, int, Decimal, datetime.date)):
        yield str(item)
    else:  # a rule, an image: the same in every version
        yield type(item).__name__


def document_prepared(request: HttpRequest, *, task: Task, args: list, what: str) -> HttpResponse:
    """The document `task(*args)` makes (the task stores it and returns its primary key), as a
    download once it has been made; until then a page saying "Your <what> is being prepared"
    (202) with a link to ask again, and the task queued once, however often the page is asked
    for. `args` say which content is wanted (a `story_digest` among them), so a change to the
    records asks for a new version and never serves the old one.

    With the database queue (the default) the worker makes it. With another backend the task
    runs here, in the request, as before there was a queue (the tests' immediate backend; RQ,
    whose results cannot be found by their arguments)."""
    if not in_the_database(task):
        return document_response(Document.objects.get(pk=task.call(*args)))
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    tries = DBTaskResult.objects.filter(
        task_path=task.module_path, args_kwargs__args=list(args)
    ).order_by("enqueued_at")
    statuses = {row.status: row for row in tries}  # the newest try in each status
    waiting = statuses.get(TaskResultStatus.READY) or statuses.get(TaskResultStatus.RUNNING)
    done = statuses.get(TaskResultStatus.SUCCESSFUL)
    if waiting is None and done is not None:
        document = Document.objects.filter(pk=done.return_value).first()
        if document is not None:
            return document_response(document)
    if waiting is None:  # never asked for, or every try failed: a person asking is a new try
        enqueue(task, *args)
    response = render(
        request, "fundmgr/being_prepared.html", {"what": what, "again": request.get_full_path()}
    )
    response.status_code = 202
    response["Cache-Control"] = "private, no-store"
    return response
