"""What an operator sees of a running service: each request's id in every log line.

`RequestId` (the first middleware) takes the id the reverse proxy gave the request in its
X-Request-ID header, when it is a sensible token, or makes one up; it keeps it in a context
variable for the time of the request and repeats it in the answer's X-Request-ID. The logging
filter `RequestIdFilter` copies it into every record, so the JSON log lines of one request (and
the error report Sentry receives) can be found together. A background task's lines carry
"task:<name>" instead, set by `fundmgr.tasks`.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

HEADER = "X-Request-ID"
# A proxy's id is kept only when it is a short token (nginx's $request_id, a UUID): never
# whatever a caller chose to put in a log line.
_SENSIBLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id: ContextVar[str] = ContextVar("request_id", default="-")


def new_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (`-` outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx or 5xx answer (django.request's "Not Found: /x") once the middleware
        # has returned, with the request in the record: its id is read from there.
        given = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = given or request_id.get()
        return True


class RequestId:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        rid = given if _SENSIBLE.match(given) else new_id()
        token = request_id.set(rid)
        try:
            request.request_id = rid
            if settings.SENTRY_DSN:
                import sentry_sdk  # loaded already by the settings that set it up

                sentry_sdk.set_tag("request_id", rid)  # this request's scope only
            response = self.get_response(request)
            response[HEADER] = rid
            return response
        finally:
            request_id.reset(token)


# What of a request an error report keeps: enough to find the request again (its id, the path,
# the browser), nothing a person typed or is known by.
REPORTED_HEADERS = {
    "host",
    "user-agent",
    "accept",
    "content-type",
    "content-length",
    "x-request-id",
}


def without_personal_data(event: dict, hint: dict) -> dict:
    """Sentry's `before_send`: a report keeps no query string, form, cookie, address or user
    (`send_default_pii=False` still sends the query string, the body and the Referer)."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() in REPORTED_HEADERS
            }
    return event
