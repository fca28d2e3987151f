"""Request ids in the answer and in every log line, JSON logs, and error reports to Sentry: the
middleware and the filter on their own, then gunicorn started with the production settings'
environment (LOG_FORMAT=json, SENTRY_DSN), since the settings build logging as they load."""

import gzip
import http.server
import json
import logging
import threading
import time
from pathlib import Path

import brotli
import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from fundmgr.observability import (
    HEADER,
    RequestId,
    RequestIdFilter,
    request_id,
    without_personal_data,
)
from tests.processes import AppServer

SENSIBLE = ["3f2a9c0e-41d2-4f4e-9a57-0c1d2e3f4a5b", "nginx.5f0a:17-b"]
HOSTILE = ["two words", "line\nbreak", "x" * 200, "", "<script>", "id;rm -rf"]


def answer_through_middleware(given: str | None):
    seen = {}

    def view(request):
        seen["request"] = request.request_id
        seen["context"] = request_id.get()
        return HttpResponse("ok")

    headers = {HEADER: given} if given is not None else {}
    response = RequestId(view)(RequestFactory().get("/", headers=headers))
    return response, seen


@pytest.mark.parametrize("given", SENSIBLE)
def test_a_proxys_sensible_request_id_is_kept(given):
    response, seen = answer_through_middleware(given)
    assert response[HEADER] == seen["request"] == seen["context"] == given


@pytest.mark.parametrize("given", HOSTILE)
def test_a_hostile_request_id_is_replaced(given):
    response, seen = answer_through_middleware(given)
    assert response[HEADER] != given
    assert len(response[HEADER]) == 32 and response[HEADER].isalnum()
    assert seen["request"] == seen["context"] == response[HEADER]


def test_a_request_without_an_id_gets_a_new_one_each_time():
    first, _ = answer_through_middleware(None)
    second, _ = answer_through_middleware(None)
    assert first[HEADER] != second[HEADER]


def test_the_request_id_is_forgotten_after_the_request():
    answer_through_middleware(SENSIBLE[0])
    assert request_id.get() == "-"


def test_every_log_record_carries_the_request_id_as_json(capsys):
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(request_id)s %(message)s"))
    log = logging.getLogger("tests.observability")
    log.addHandler(handler)
    try:
        log.warning("outside")
        token = request_id.set("abc-123")
        try:
            log.warning("inside %s", "a request")
        finally:
            request_id.reset(token)
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["message"], line["request_id"]) for line in lines] == [
        ("outside", "-"),
        ("inside a request", "abc-123"),
    ]


def test_django_s_own_answer_lines_carry_the_id_of_their_request():
    """django.request logs "Not Found: /x" after the middleware has returned."""
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found", (), None)
    record.request = RequestFactory().get("/x")
    record.request.request_id = "abc-123"
    RequestIdFilter().filter(record)
    assert record.request_id == "abc-123"


def test_an_error_report_keeps_nothing_a_person_typed_or_is_known_by():
    event = {
        "user": {"ip_address": "192.0.2.1", "email": "treasurer@example.org"},
        "request": {
            "url": "https://grants.example.gov.uk/apply/1/bank/",
            "method": "POST",
            "query_string": "name=Jane+Smith",
            "data": {"account_number": "12345678"},
            "cookies": {"sessionid": "secret"},
            "env": {"REMOTE_ADDR": "192.0.2.1"},
            "headers": {
                "User-Agent": "Firefox",
                "X-Request-ID": "abc-123",
                "Referer": "https://grants.example.gov.uk/?name=Jane+Smith",
                "X-Forwarded-For": "192.0.2.1",
            },
        },
    }
    kept = without_personal_data(event, {})
    assert kept == {
        "request": {
            "url": "https://grants.example.gov.uk/apply/1/bank/",
            "method": "POST",
            "headers": {"User-Agent": "Firefox", "X-Request-ID": "abc-123"},
        }
    }


# Through gunicorn: each process reads its settings from the environment, as in production. The
# database is a file that cannot be opened: a missing page needs none, and any page that reads
# the database is a server error, which is what the Sentry test wants.
def nowhere(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def wait_for(found, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while not (result := found()):
        if time.monotonic() > deadline:
            return result
        time.sleep(0.2)
    return result


@pytest.mark.slow
def test_gunicorn_writes_json_log_lines_with_the_answers_request_id(tmp_path):
    # A missing static file: a 404 answered without the database (which is nowhere here), as
    # every other path needs it to know which council the request is for.
    with AppServer(LOG_FORMAT="json", DATABASE_URL=nowhere(tmp_path), workers=1) as server:
        status, _, headers = server.get("/static/no-such-file.css")
        kept_status, _, kept = server.get("/static/no-such-file.css", {HEADER: "proxy-7f3a.1"})
        _, _, replaced = server.get("/static/no-such-file.css", {HEADER: "made up " + "x" * 200})

        def not_found_lines():
            lines = [
                line
                for line in json_lines(server.output())
                if line.get("message", "").startswith("Not Found")
            ]
            return lines if len(lines) == 3 else None

        lines = wait_for(not_found_lines)
        output = server.output()
    assert status == kept_status == 404
    assert lines, output
    assert all({"time", "level", "logger", "request_id", "message"} <= set(line) for line in lines)
    assert [line["request_id"] for line in lines] == [
        headers[HEADER],
        "proxy-7f3a.1",
        replaced[HEADER],
    ]
    assert kept[HEADER] == "proxy-7f3a.1"
    assert len(replaced[HEADER]) == 32 and "made up" not in output
    assert lines[0]["logger"] == "django.request" and lines[0]["level"] == "WARNING"


class FakeSentry(http.server.ThreadingHTTPServer):
    """Sentry's ingestion endpoint on loopback: keeps each event envelope posted to it."""

    def __init__(self):
        self.events: list[dict] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), FakeSentryHandler)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/1"


class FakeSentryHandler(http.server.BaseHTTPRequestHandler):
    server: FakeSentry

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.server.paths.append(self.path)
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                self.server.events.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_a_server_error_is_reported_to_sentry_without_personal_data(tmp_path):
    sentry = FakeSentry()
    threading.Thread(target=sentry.serve_forever, daemon=True).start()
    try:
        with AppServer(SENTRY_DSN=sentry.dsn, DATABASE_URL=nowhere(tmp_path)) as server:
            status, _, headers = server.get(
                "/grants/?postcode=AB1+2CD",
                {"Cookie": "sessionid=secret-session-key; csrftoken=secret-csrf"},
            )
            events = wait_for(lambda: sentry.events)
            output = server.output()
    finally:
        sentry.shutdown()
        sentry.server_close()
    assert status == 500
    assert events, output
    event = events[0]
    assert set(sentry.paths) == {"/api/1/envelope/"}
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    assert event["tags"]["request_id"] == headers[HEADER]
    assert event["request"]["url"].endswith("/grants/")
    reported = json.dumps(event)
    assert "secret-session-key" not in reported and "secret-csrf" not in reported
    assert "AB1" not in reported  # what the person searched for
    assert "cookies" not in event["request"] and "user" not in event
    assert not any(
        "vars" in frame for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]
    )
