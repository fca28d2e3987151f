"""A fake GOV.UK Notify on loopback, for the tests: the real `notifications-python-client` talks to
it over HTTP as it would to https://api.notifications.service.gov.uk.

It answers the three calls fundmgr makes, as Notify's API documentation describes them:

    POST /v2/notifications/email   -> 201 {"id": ..., "reference": ..., "content": {...}, ...}
    POST /v2/notifications/sms     -> 201 {"id": ..., "reference": ..., "content": {...}, ...}
    GET  /v2/notifications?reference=...  -> 200 {"notifications": [...], "links": {...}}

Each request must carry the JWT the client signs with the API key ("name-serviceid-secret": the
token's `iss` is the service id, HS256-signed with the secret); a wrong key is answered 403 with
Notify's AuthError body. It keeps what it accepted (`fake.received`, newest last) and can fail on
demand: `fake.fail(500)` answers the next request 500, `fake.fail(400, times=2)` the next two 400
with Notify's BadRequestError body, `fake.fail(500, keep=True)` keeps the message but answers 500
(Notify took it, the answer was lost). `fake.delay = 0.05` makes each message take that long
to be accepted, so that senders running at once overlap.

In a test, in-process (fundmgr reads the settings when it sends):

    from tests.fake_notify import FakeNotify

    @pytest.fixture
    def notify_service(settings):
        with FakeNotify() as fake:           # a thread serving http://127.0.0.1:<free port>
            fake.configure(settings)         # FUNDMGR_MAIL=notify, NOTIFY_API_KEY, _BASE_URL, ...
            yield fake

    def test_it(notify_service):
        ...                                  # something that sends
        assert notify_service.received[-1]["email_address"] == "someone@example.org"

For a process the test starts (tests/processes.py), pass the same settings as environment
variables; the fake runs in the test's process and the worker reaches it over loopback:

    with FakeNotify() as fake, Worker(**fake.env(), **in_test_time()) as worker:
        ...
        fake.wait_for(1)                     # until one message has arrived (or AssertionError)
        assert [m["reference"] for m in fake.received] == ["fundmgr-1"]

`fake.env()` is {"FUNDMGR_MAIL": "notify", "NOTIFY_API_KEY": ..., "NOTIFY_BASE_URL": ...,
"NOTIFY_TEMPLATES": ...}. The fake does not check the token's age (`iat`) unless given
`max_token_age=` seconds, since a process may run on another clock than the test's.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

# Template ids the fake knows, by message kind, and the placeholders each needs (Notify refuses a
# message whose personalisation lacks one of its template's placeholders). A name starting "sms"
# is a text message template, the others e-mail templates; Notify refuses one used for the other.
TEMPLATES: dict[str, str] = {
    "email": "1b7c1f59-0000-4000-8000-000000000001",
    "sms": "1b7c1f59-0000-4000-8000-000000000002",
    "reminder": "1b7c1f59-0000-4000-8000-000000000003",
    "email_file": "1b7c1f59-0000-4000-8000-000000000004",
    "sms:offer-lapsing": "1b7c1f59-0000-4000-8000-000000000005",
}
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    TEMPLATES["email"]: ("subject", "body"),
    TEMPLATES["sms"]: ("body",),
    TEMPLATES["reminder"]: ("subject", "body"),
    TEMPLATES["email_file"]: ("subject", "body", "link_to_file"),
    TEMPLATES["sms:offer-lapsing"]: ("body",),
}


class FakeNotify:
    """GOV.UK Notify's API for one service, on 127.0.0.1 and a port the system picks."""

    def __init__(
        self,
        *,
        templates: dict[str, str] | None = None,
        placeholders: dict[str, tuple[str, ...]] | None = None,
        max_token_age: int | None = None,
    ) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"fundmgr_test-{self.service_id}-{self.secret}"
        self.templates = dict(TEMPLATES if templates is None else templates)
        self.placeholders = dict(PLACEHOLDERS if placeholders is None else placeholders)
        self.max_token_age = max_token_age
        self.delay = 0.0  # seconds each message takes to be accepted (to make senders overlap)
        self.received: list[dict[str, Any]] = []  # the notifications it accepted
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self._failures: list[tuple[int, bool]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running -------------------------------------------------------------------------------

    def start(self) -> FakeNotify:
        fake = self

        class Handler(_Handler):
            notify = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeNotify:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- pointing fundmgr at it ----------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment variables a process needs to send through this fake."""
        return {
            "FUNDMGR_MAIL": "notify",
            "NOTIFY_API_KEY": self.api_key,
            "NOTIFY_BASE_URL": self.url,
            "NOTIFY_TEMPLATES": json.dumps(self.templates),
        }

    def configure(self, settings: Any) -> None:
        """Point this process's settings (pytest-django's `settings` fixture) at the fake."""
        settings.MAIL_SERVICE = "notify"
        settings.NOTIFY_API_KEY = self.api_key
        settings.NOTIFY_BASE_URL = self.url
        settings.NOTIFY_TEMPLATES = dict(self.templates)

    # -- what happened, and failing on demand ---------------------------------------------------

    def fail(self, status: int = 500, *, times: int = 1, keep: bool = False) -> None:
        """Answer the next `times` sending requests with `status` (400: Notify's BadRequestError
        body; 5xx: its Exception body). With `keep`, the message is kept all the same, as when
        Notify took it and its answer was lost on the way back."""
        with self._lock:
            self._failures.extend([(status, keep)] * times)

    def by_reference(self, reference: str) -> list[dict[str, Any]]:
        with self._lock:
            return [n for n in self.received if n.get("reference") == reference]

    def wait_for(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until at least `count` messages have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(
            f"The fake Notify received {len(self.received)} message(s), not {count}, "
            f"in {timeout} s: {self.requests}"
        )

    # -- the API ---------------------------------------------------------------------------------

    def _authorised(self, header: str) -> str | None:
        """None if the bearer token is good, else Notify's message for why not."""
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header.removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(
                token,
                key=self.secret,
                algorithms=["HS256"],
                options={"verify_iat": False, "require": ["iss", "iat"]},
            )
        except jwt.InvalidTokenError:
            try:
                issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            except jwt.InvalidTokenError:
                return "Invalid token: signature, api token not found"
            if issuer != self.service_id:
                return "Invalid token: service not found"
            return "Invalid token: API key not found"
        if claims["iss"] != self.service_id:
            return "Invalid token: service not found"
        if self.max_token_age is not None and abs(time.time() - int(claims["iat"])) > (
            self.max_token_age
        ):
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    def _send(self, kind: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        field = "email_address" if kind == "email" else "phone_number"
        problems = []
        if not payload.get(field):
            problems.append(f"{field} is a required property")
        elif kind == "email" and "@" not in payload[field]:
            problems.append(f"{field} Not a valid email address")
        elif kind == "sms" and not str(payload[field]).lstrip("+").isdigit():
            problems.append(f"{field} Must not contain letters or symbols")
        template_id = payload.get("template_id", "")
        personalisation = payload.get("personalisation") or {}
        names = [name for name, tid in self.templates.items() if tid == template_id]
        if not names:
            problems.append("Template not found")
        elif (names[0].startswith("sms") and kind != "sms") or (
            kind == "sms" and not names[0].startswith("sms")
        ):
            template_type = "sms" if kind != "sms" else "email"
            problems.append(f"{template_type} template is not suitable for {kind} notification")
        else:
            missing = [
                p for p in self.placeholders.get(template_id, ()) if p not in personalisation
            ]
            if missing:
                problems.append(f"Missing personalisation: {', '.join(missing)}")
        if problems:
            return 400, _errors(400, "BadRequestError", problems)
        files = {}
        for name, value in personalisation.items():
            if isinstance(value, dict) and "file" in value:
                files[name] = {
                    "content": base64.b64decode(value["file"]),
                    "filename": value.get("filename"),
                }
        notification_id = str(uuid.uuid4())
        note = {
            "id": notification_id,
            "type": kind,
            "reference": payload.get("reference"),
            field: payload[field],
            "template_id": template_id,
            "personalisation": personalisation,
            "files": files,
            "status": "created",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
        }
        with self._lock:
            self.received.append(note)
        body_text = str(personalisation.get("body", ""))
        content: dict[str, Any] = {"body": body_text}
        if kind == "email":
            content |= {"subject": str(personalisation.get("subject", "")), "from_email": "x@y"}
        else:
            content |= {"from_number": "GOVUK"}
        return 201, {
            "id": notification_id,
            "reference": payload.get("reference"),
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{template_id}",
            },
            "scheduled_for": None,
        }

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        reference = (query.get("reference") or [None])[0]
        with self._lock:
            found = [n for n in self.received if reference is None or n["reference"] == reference]
        found.reverse()  # newest first, as Notify lists them
        return {
            "notifications": [
                {
                    "id": n["id"],
                    "reference": n["reference"],
                    "email_address": n.get("email_address"),
                    "phone_number": n.get("phone_number"),
                    "type": n["type"],
                    "status": n["status"],
                    "template": {"id": n["template_id"], "version": 1, "uri": ""},
                    "body": str(n["personalisation"].get("body", "")),
                    "subject": n["personalisation"].get("subject"),
                    "created_at": n["created_at"],
                }
                for n in found
            ],
            "links": {"current": f"{self.url}/v2/notifications", "next": None},
        }


def _errors(status: int, error: str, messages: list[str]) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": m} for m in messages]}


class _Handler(BaseHTTPRequestHandler):
    notify: FakeNotify

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        with self.notify._lock:  # noted before the answer, so the client never sees it first
            self.notify.requests.append((self.command, self.path, status))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refused(self) -> bool:
        why = self.notify._authorised(self.headers.get("Authorization", ""))
        if why:
            self._answer(403, _errors(403, "AuthError", [why]))
            return True
        return False

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if self._refused():
            return
        if parts.path != "/v2/notifications":
            self._answer(404, _errors(404, "NoResultFound", ["No result found"]))
            return
        self._answer(200, self.notify._list(parse_qs(parts.query)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self._refused():
            return
        path = urlsplit(self.path).path
        kinds = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}
        if path not in kinds:
            self._answer(404, _errors(404, "NoResultFound", ["No result found"]))
            return
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            self._answer(400, _errors(400, "BadRequestError", ["Invalid JSON supplied"]))
            return
        if self.notify.delay:
            time.sleep(self.notify.delay)
        with self.notify._lock:
            failure = self.notify._failures.pop(0) if self.notify._failures else None
        if failure is not None:
            status, keep = failure
            if keep:
                self.notify._send(kinds[path], payload)
            if status == 400:
                self._answer(400, _errors(400, "BadRequestError", ["Can't send to this recipient"]))
            else:
                self._answer(status, _errors(status, "Exception", ["Internal server error"]))
            return
        status, body = self.notify._send(kinds[path], payload)
        self._answer(status, body)
