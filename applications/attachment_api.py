"""/api/v1/attachments/: the documents a group sends with a bid, as on its application's pages.

Anyone who may read the application lists its documents and downloads them; the group's members
(and officers, when they have asked for more) add one; a member takes one back out while the bid
is still a draft. A document of an application the caller may not see is 404, and naming such an
application when adding one is a 400 "does not exist", as for one that does not exist.
"""

from __future__ import annotations

import django_filters
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from applications import group_services
from applications.file_views import file_response
from applications.models import Application, Attachment
from applications.services import attachment_add
from applications.visibility import visible_applications
from fundmgr.api import FileRenderer, IdFilter, problems, router


class AttachmentSerializer(serializers.ModelSerializer):
    filename = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField(help_text="Where to download the file.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "application",
            "description",
            "filename",
            "size",
            "content_type",
            "uploaded_at",
            "download",
        ]
        read_only_fields = fields

    def get_filename(self, attachment: Attachment) -> str:
        return attachment.file.name.rsplit("/", 1)[-1]

    def get_download(self, attachment: Attachment) -> str:
        return reverse("api:attachment-download", kwargs={"pk": attachment.pk})


class AttachmentUploadSerializer(serializers.Serializer):
    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.none(), help_text="The application it goes with."
    )
    file = serializers.FileField(help_text="PDF, an image, a Word or Excel file; up to 10 MB.")
    description = serializers.CharField(
        max_length=200, required=False, default="", help_text="What it is; else its file name."
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:  # None when the schema is drawn
            self.fields["application"].queryset = visible_applications(user)


class AttachmentFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application_id")

    class Meta:
        model = Attachment
        fields = ["application"]


class AnyFileRenderer(FileRenderer):
    media_type = "application/octet-stream"
    format = "file"


@extend_schema_view(
    list=extend_schema(summary="Documents sent with the applications you may read"),
    retrieve=extend_schema(summary="A document sent with an application"),
)
@extend_schema(tags=["applications"])
class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Attachment.objects.none()  # get_queryset decides; this names the model
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = AttachmentFilter
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["id", "uploaded_at"]
    ordering = ["id"]

    def get_queryset(self):
        return Attachment.objects.filter(application__in=visible_applications(self.request.user))

    @extend_schema(
        summary="Add a document to an application",
        description="The group's members while it is a draft or has been returned to them for "
        "more information; officers too. 409 once the rules no longer allow it.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **problems(400, 401, 403, 409, 415)},
    )
    def create(self, request, *args, **kwargs):
        body = AttachmentUploadSerializer(data=request.data, user=request.user)
        body.is_valid(raise_exception=True)
        given = body.validated_data
        added = attachment_add(
            application=given["application"],
            by=request.user,
            description=given["description"],
            file=given["file"],
        )
        fresh = self.get_queryset().get(pk=added.pk)
        return Response(AttachmentSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Take a document back out of a draft",
        responses={204: None, **problems(401, 403, 404, 409)},
    )
    def destroy(self, request, *args, **kwargs):
        group_services.attachment_remove(attachment=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download the document's file",
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file as uploaded, with the Content-Type of its content.",
            ),
            **problems(401, 404),
        },
    )
    @action(
        detail=True,
        renderer_classes=[renderers.JSONRenderer, AnyFileRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def download(self, request, pk=None):
        found = self.get_object()
        return file_response(found.file)


router.register("attachments", AttachmentViewSet, basename="attachment")
