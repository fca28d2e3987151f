"""The files a group uploads (documents with a bid, quotes for its costs, its governing document
and safeguarding policy), handed out only to those who may read the application they belong to.

Uploads are never served from /media/: a group's documents are not public. Each download checks
the same visibility as the API and the pages (`applications.visibility`); anything else is 404,
never 403, so that ids do not tell what exists.
"""

from __future__ import annotations

from pathlib import PurePath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from applications import uploads
from applications.models import Attachment, BudgetLine, Organisation
from applications.visibility import visible_applications, visible_organisations
from fundmgr import access

ORGANISATION_FILES = {
    "governing-document": "governing_document",
    "safeguarding-policy": "safeguarding_policy",
}


def file_response(file: FieldFile) -> FileResponse:
    """The stored file as a download (never shown inline: an upload could be HTML), of the type
    its bytes are (applications.uploads), whatever the browser that sent it said it was."""
    if not file:
        raise Http404("There is no file here.")
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=PurePath(file.name).name,
        content_type=uploads.content_type(handle),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access.page(access.signed_in)
def attachment(request, pk: int):
    visible = Attachment.objects.filter(application__in=visible_applications(request.user))
    found = get_object_or_404(visible, pk=pk)
    return file_response(found.file)


@access.page(access.signed_in)
def quote(request, pk: int):
    visible = BudgetLine.objects.filter(application__in=visible_applications(request.user))
    return file_response(get_object_or_404(visible, pk=pk).quote)


@access.page(access.signed_in)
def organisation_file(request, pk: int, kind: str):
    """A group's governing document or safeguarding policy: for its members and the officers
    who see every group, and for anyone who may read one of its applications."""
    if kind not in ORGANISATION_FILES:
        raise Http404("There is no such document.")
    user = request.user
    visible = Organisation.objects.filter(pk__in=visible_organisations(user).values("pk")) | (
        Organisation.objects.filter(applications__in=visible_applications(user))
    )
    organisation = get_object_or_404(visible.distinct(), pk=pk)
    return file_response(getattr(organisation, ORGANISATION_FILES[kind]))
