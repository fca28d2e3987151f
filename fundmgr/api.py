"""The API's shared pieces: errors as problem details (RFC 9457), pagination, optimistic
concurrency, and the router every app's `api.py` registers with (fundmgr/api_urls.py serves it
under /api/v1/).

Views stay thin as pages are: they parse, call the same service functions as the pages, and
serialise. A service's DomainError becomes a problem document with its status (400 bad input,
403 not permitted, 409 refused now) and its message as `detail`, written for a person.
"""

from __future__ import annotations

import json
import re

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from fundmgr import contention
from fundmgr.errors import DomainError, NotPermitted, SimultaneousChange

PROBLEM = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Refused",
    412: "Changed since you read it",
    413: "Too large",
    415: "Unsupported media type",
    428: "Say which version you are changing",
    429: "Too many requests",
}


class Problem(exceptions.APIException):
    """Raise for a problem the view finds itself: `Problem(412, "…")`."""

    def __init__(self, status_code: int, detail: str):
        self.status_code = status_code
        super().__init__(detail)


def problem(status_code: int, detail: str, *, errors: dict | None = None, **extra) -> Response:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        **extra,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM)


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as {"field" or "field.0.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(data, list) and data and all(not isinstance(v, dict | list) for v in data):
        out[prefix or "non_field_errors"] = [str(v) for v in data]
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def _summary(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, messages in errors.items():
        label = "" if field in ("non_field_errors", "__all__") else f"{field}: "
        parts.extend(f"{label}{m}" for m in messages)
    return " ".join(parts)


def exception_handler(exc, context):
    """REST_FRAMEWORK's EXCEPTION_HANDLER: every error the API answers is a problem document."""
    if isinstance(exc, DomainError):
        return problem(exc.status_code, exc.message)
    if contention.is_contention(exc):
        # A deadlock the service's own retries (fundmgr.contention) did not see: nothing changed.
        return problem(409, SimultaneousChange.MESSAGE)
    if isinstance(exc, DjangoValidationError):
        errors = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return problem(400, _summary(errors), errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("There is nothing here, or you may not see it.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or NotPermitted.__doc__ or "Not permitted.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a fault in fundmgr, not in the request: Django's 500 and its log
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(response.data)
        out = problem(response.status_code, _summary(errors), errors=errors)
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        out = problem(response.status_code, str(detail or exc))
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if header in response:
            out[header] = response[header]
    return out


@csrf_exempt  # an API address takes no CSRF token: a POST to a wrong one is a 404 problem too
def not_found(request, *args, **kwargs):
    """Any unknown address under /api/: a problem document, not the HTML 404 page."""
    from rest_framework.decorators import api_view, permission_classes, renderer_classes
    from rest_framework.permissions import AllowAny
    from rest_framework.renderers import JSONRenderer

    @api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    @permission_classes([AllowAny])
    @renderer_classes([JSONRenderer])
    def view(request, *args, **kwargs):
        return problem(404, f"There is no API address {request.path}.")

    return view(request, *args, **kwargs)


def json_object(data) -> dict:
    """A request body that must be a JSON object: anything else (a list, null, a string) is bad
    input, named as such, not a TypeError further on."""
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
    return data


_WHOLE = re.compile(r"[0-9]+")


class Pagination(PageNumberPagination):
    """Pages of 50 rows, or `page_size` (at most 500). A page or page size that is not a whole
    number from 1 is bad input (400); a page past the last is not found (404)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = "There is no page {page_number}: {message}."

    def paginate_queryset(self, queryset, request, view=None):
        for name in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(name)
            if value is not None and not (_WHOLE.fullmatch(value) and int(value) >= 1):
                raise Problem(400, f"{name}: a whole number from 1 is required, not {value!r}.")
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1. A page past the last answers 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows a page: {self.page_size} unless given; at most "
                f"{self.max_page_size} (more is taken as {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


# --- filters by id ---------------------------------------------------------------------------


class IdField(forms.IntegerField):
    """An id: a whole number the database can hold, else 400 (not a 500 from the driver)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A filter on a record's id. An id that matches nothing (or nothing you may see) is an
    empty list, never a 400 that would tell which records exist."""

    field_class = IdField


class FilterBackend(DjangoFilterBackend):
    """REST_FRAMEWORK's filter backend: django-filter, strict. django-filter leaves out a filter
    given empty (`?pay_date=`) or a yes/no filter given neither yes nor no (`?undone=null`), and
    takes the last of one given twice; a client would get every row and think them filtered.
    Each is bad input (400) here."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = {}
        for name, filter_ in filterset.filters.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            if len(values) > 1 and not isinstance(
                filter_, django_filters.MultipleChoiceFilter | django_filters.BaseCSVFilter
            ):
                errors[name] = ["Give this filter once."]
            elif isinstance(filter_, django_filters.BooleanFilter):
                if any(v.lower() not in ("true", "false") for v in values):
                    errors[name] = ["true or false is required."]
            elif "" in values and not isinstance(filter_.field, forms.CharField):
                errors[name] = ["A value is required: leave the filter out to have every row."]
        if errors:
            raise exceptions.ValidationError(errors)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs


# --- optimistic concurrency ------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def _stale(current: str) -> Problem:
    return Problem(
        412,
        f"This was changed since you read it (it is now at version {current}): "
        "read it again and make your change to that.",
    )


def _if_match_tags(request) -> list[str] | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    return [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]


def if_match_version(request, current: int) -> int:
    """The version an edit starts from, from If-Match (or a `version` field in the body).
    428 when neither is given, 412 when it is not the current one: two people editing one
    record cannot silently overwrite each other."""
    tags = _if_match_tags(request)
    if tags is not None:
        if "*" not in tags and str(current) not in tags:
            raise _stale(str(current))
        return current
    body_version = request.data.get("version") if hasattr(request.data, "get") else None
    if body_version is None:
        raise Problem(
            428,
            "Send If-Match with the ETag you read (or a `version` field), so that an edit "
            "from a stale copy cannot overwrite someone else's.",
        )
    try:
        version = int(body_version)
    except (TypeError, ValueError):
        raise Problem(400, "version: a whole number is required.") from None
    if version != current:
        raise _stale(str(current))
    return version


def if_match_tag(request, current: str) -> None:
    """For a resource whose ETag is a digest of its state rather than a version number: If-Match
    must name the ETag now current (428 without one, 412 when stale)."""
    tags = _if_match_tags(request)
    if tags is None:
        raise Problem(
            428,
            "Send If-Match with the ETag you read, so that an edit from a stale copy cannot "
            "overwrite someone else's.",
        )
    if "*" not in tags and current not in tags:
        raise Problem(
            412,
            f'This was changed since you read it (its ETag is now "{current}"): read it again '
            "and make your change to that.",
        )


# --- the schema's description of errors -------------------------------------------------------

ProblemSerializer = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="What went wrong, written for a person."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="For bad input: each field's messages.",
        ),
    },
)


def problems(*codes: int) -> dict:
    """`@extend_schema(responses={200: X, **problems(400, 403, 404)})`: each as a problem
    document (application/problem+json), with a description of its own."""
    return {
        (code, PROBLEM): OpenApiResponse(ProblemSerializer, description=TITLES.get(code, "Error"))
        for code in codes
    }


class FileRenderer(renderers.BaseRenderer):
    """For a download: a client may ask for the file's own media type, and an error is still a
    problem document (the exception handler sets its content type; this writes it as JSON).
    Subclasses name the media type and format."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode("utf-8")


router = DefaultRouter()
router.include_root_view = True

__all__ = [
    "PROBLEM",
    "FileRenderer",
    "FilterBackend",
    "IdFilter",
    "Pagination",
    "Problem",
    "etag",
    "exception_handler",
    "if_match_tag",
    "if_match_version",
    "json_object",
    "problem",
    "problems",
    "router",
    "status",
]
