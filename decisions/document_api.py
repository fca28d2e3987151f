"""The council's stored documents through the API, with the visibility of the download pages
(`decisions.document_views`):

- GET /applications/{id}/documents/: every stored version of an application's documents (offer
  letters, decision notices, and for council staff remittances and clawback requests) that you
  may download, newest first, with its SHA-256;
- GET /documents/{id}/: one stored version, exactly as it was produced: a PDF, with its SHA-256
  in the X-Content-SHA256 header.

An application's documents are for the group's members and council officers; anyone else is told
there is no such application (404), as on the pages. A document you may not see is 404 too.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from applications.models import Application
from decisions.document_views import may_see_application, may_see_document
from fundmgr import access
from fundmgr.api import Problem, problems, router
from fundmgr.documents import document_response
from fundmgr.models import Document


class DocumentSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(read_only=True, help_text="Of the stored bytes, in hex.")
    size = serializers.IntegerField(read_only=True, help_text="In bytes.")

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "reference",
            "description",
            "version",
            "filename",
            "sha256",
            "size",
            "created_at",
        ]
        read_only_fields = fields


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf` (the download is a FileResponse, not
    rendered); a problem answered to such a client is still JSON, with its own content type."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, None, renderer_context)


def _id(value) -> int:
    """A path id the database can hold, else nothing here (404), never a 500."""
    number = int(value)
    if number > 2**63 - 1:
        raise Problem(404, "There is nothing here, or you may not see it.")
    return number


@extend_schema(tags=["documents"])
class ApplicationDocumentViewSet(viewsets.ViewSet):
    permission_classes = [access.ApiSignedIn]

    @extend_schema(
        summary="An application's stored documents that you may download, newest first",
        description="The group's members and council officers (404 for anyone else, as on the "
        "pages). Each version is listed as stored; download one at /documents/{id}/.",
        parameters=[
            OpenApiParameter(
                "application_pk", int, OpenApiParameter.PATH, description="The application's id."
            )
        ],
        responses={200: DocumentSerializer(many=True), **problems(401, 404)},
    )
    def list(self, request, application_pk=None):
        app = (
            Application.objects.select_related("organisation")
            .filter(pk=_id(application_pk))
            .first()
        )
        if app is None or not may_see_application(request.user, app):
            raise Problem(404, "There is no such application, or you may not see it.")
        rows = [
            document
            for document in Document.objects.filter(reference=app.reference).order_by(
                "-created_at", "-pk"
            )
            if may_see_document(request.user, document)
        ]
        return Response(DocumentSerializer(rows, many=True).data)


@extend_schema(tags=["documents"])
class DocumentViewSet(viewsets.ViewSet):
    permission_classes = [access.ApiSignedIn]
    renderer_classes = [JSONRenderer, PdfRenderer]
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary="Download a stored document: the PDF exactly as it was produced",
        description="Whoever may download it on the pages; 404 for anyone else. The "
        "X-Content-SHA256 header is the SHA-256 of the bytes, as listed.",
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The document's id."),
            OpenApiParameter(
                "X-Content-SHA256",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description="The SHA-256 of the PDF, in hex.",
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
            **problems(401, 404),
        },
    )
    def retrieve(self, request, pk=None):
        document = Document.objects.filter(pk=_id(pk)).first()
        if document is None or not may_see_document(request.user, document):
            raise Problem(404, "There is no such document, or you may not see it.")
        return document_response(document)


router.register(
    r"applications/(?P<application_pk>[0-9]+)/documents",
    ApplicationDocumentViewSet,
    basename="application-document",
)
router.register("documents", DocumentViewSet, basename="document")
