"""Which council a piece of work is for: one council for each request, task and command.

One service may hold many councils in one database. Every row a council owns carries its
`council_id`, and three things keep a council's work to its own rows:

1. **The scope**, this module: `CouncilMiddleware` sets it for a request from the host name (or a
   path prefix where one host serves several councils); `fundmgr.tasks` carries it from the
   request that queued a task into the task; a command or a test sets it with
   `acting_for(council)`. `current()` is the council in scope.
2. **The managers** (`CouncilOwned.objects`, fundmgr/models.py) filter every query by the scope
   and fill `council_id` on every row saved, so code that forgets a filter still reads and writes
   only its own council.
3. **The database itself**, on PostgreSQL: the scope is copied into the connection's setting
   `app.council_id`, and row-level security policies on every council-owned table
   (fundmgr/council_security.py) refuse another council's rows even to raw SQL that forgot its
   filter. A connection with no council set sees no council's rows.

A scope is one of: a council's id (that council's rows only); `SERVICE` (every council's rows:
migrations, the service administrator's pages, commands that work across the service, such as
`check_ledger`); or `NOTHING` (no council's rows). Commands, the shell and the tests start
service-wide; a web process starts with nothing, and every request sets its council.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError
from django.db.backends.signals import connection_created

if TYPE_CHECKING:
    from fundmgr.models import Council

SERVICE = "all"
NOTHING = ""

# The process's scope outside any request or `acting_for`: service-wide for commands and tests,
# nothing in a web server (fundmgr/wsgi.py calls `web_process()`).
_default: dict[str, int | str] = {"scope": SERVICE}
_scope: ContextVar[int | str | None] = ContextVar("fundmgr_council", default=None)


def web_process() -> None:
    """A web server's process: outside a request, no council's rows."""
    _default["scope"] = NOTHING


def scope() -> int | str:
    """The scope in force: a council's id, SERVICE or NOTHING."""
    value = _scope.get()
    return _default["scope"] if value is None else value


def current_id() -> int | None:
    """The id of the council in scope, or None when the scope is service-wide or nothing."""
    value = scope()
    return value if isinstance(value, int) else None


def service_wide() -> bool:
    return scope() == SERVICE


def current() -> Council | None:
    """The council in scope (cached for a minute: councils change rarely), or None."""
    council_id = current_id()
    return None if council_id is None else council(council_id)


# --- councils by id and by host, cached in the process --------------------------------------

CACHE_SECONDS = 60
_cache: dict[str, tuple[float, object]] = {}


def _cached(key: str, load):
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


def forget() -> None:
    """Drop the cached councils (a council was saved: its settings or host changed)."""
    _cache.clear()


def refresh() -> None:
    """Read the councils again now (one was saved or deleted), rather than on the next request."""
    _cache.clear()
    every_council()


def council(council_id: int) -> Council:
    found = _cached("ids", lambda: {c.pk: c for c in every_council()}).get(council_id)
    if found is None:
        from fundmgr.models import Council

        found = Council.objects.get(pk=council_id)
    return found


def every_council() -> list[Council]:
    from fundmgr.models import Council

    return _cached("all", lambda: list(Council.objects.order_by("pk")))


# --- setting the scope -------------------------------------------------------------------------


@contextlib.contextmanager
def acting_for(council_or_id: Council | int | str) -> Iterator[None]:
    """Work for one council (an id or a Council), for SERVICE, or for NOTHING, inside the block."""
    value: int | str
    if isinstance(council_or_id, int | str):
        value = council_or_id
    else:
        value = council_or_id.pk
    if isinstance(value, str) and value not in (SERVICE, NOTHING):
        value = int(value)
    token = _scope.set(value)
    try:
        yield
    finally:
        _scope.reset(token)


def across_the_service() -> contextlib.AbstractContextManager[None]:
    """Every council's rows, inside the block (the service administrator, service-wide files)."""
    return acting_for(SERVICE)


# --- the database's copy: PostgreSQL's app.council_id ----------------------------------------


def setting_value() -> str:
    value = scope()
    return str(value)


def _in_scope(execute, sql, params, many, context):
    """Before each query on PostgreSQL: `app.council_id` is made the scope's, when the
    connection holds another (once for a run of queries in one scope: a connection that keeps
    serving one council sends nothing more). It is set for the session, through the driver's
    own cursor, so Django's query counts do not see it. A rollback (of a transaction or of a
    savepoint) may undo a setting made inside it: the connection then forgets what it holds
    (`_forgets_on_rollback`) and sets it again before its next query."""
    connection = context["connection"]
    value = setting_value()
    if connection.fundmgr_council != value:
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.council_id', %s, false)", [value])
        connection.fundmgr_council = value
    return execute(sql, params, many, context)


def _forgets_on_rollback(connection) -> None:
    """Wrap the connection's rollbacks so that each forgets the council the session holds."""
    rollback, savepoint_rollback = connection._rollback, connection._savepoint_rollback

    # Forgotten once rolled back: the rollback's own statement runs first, through the same
    # execute wrapper, in a transaction that may have failed (where no setting can be sent).
    def _rollback():
        try:
            return rollback()
        finally:
            connection.fundmgr_council = None

    def _savepoint_rollback(sid):
        try:
            return savepoint_rollback(sid)
        finally:
            connection.fundmgr_council = None

    connection._rollback = _rollback
    connection._savepoint_rollback = _savepoint_rollback


def _on_connect(sender, connection, **kwargs) -> None:
    connection.fundmgr_council = None  # a new session holds no council
    if connection.vendor == "postgresql" and _in_scope not in connection.execute_wrappers:
        connection.execute_wrappers.append(_in_scope)
        _forgets_on_rollback(connection)


connection_created.connect(_on_connect, dispatch_uid="fundmgr.councils")


# --- a council's address, for links made outside a request ----------------------------------


def base_url(council: Council) -> str:
    """Where a council's pages start, for a link in an e-mail a command or task makes (no
    request to take the address from): its own host, with the scheme of settings.SITE_URL;
    else SITE_URL itself where a bare address is for it (the only council, or DEFAULT_COUNCIL);
    else SITE_URL and its path prefix, https://grants.example.gov.uk/ashcombe."""
    from urllib.parse import urlsplit

    from django.conf import settings

    site = getattr(settings, "SITE_URL", "").rstrip("/")
    if council.host:
        return f"{urlsplit(site).scheme or 'https'}://{council.host}"
    bare = len(every_council()) == 1 or council.slug == (
        getattr(settings, "DEFAULT_COUNCIL", "") or None
    )
    return site if bare or not council.slug else f"{site}/{council.slug}"


# --- which council a request is for ------------------------------------------------------------

# Paths that make sense with no council: the service's own front page, sign-in and account pages,
# the health check, static files, the service administrator's /admin/, and /grants/ (the councils
# and the 360Giving file of every council's grants, transparency/views.py).
SERVICE_PATHS = ("/healthz", "/favicon.ico", "/static/", "/sign-in/", "/sign-out/", "/account/")
SERVICE_PATHS += ("/grants/",)
# Of those, the paths answered even when the councils cannot be read.
NO_COUNCIL_PATHS = ("/healthz", "/favicon.ico", "/static/")


# The service's own pages at any address, even where DEFAULT_COUNCIL gives bare addresses to a
# council: /service/grants/ lists the councils and serves every council's 360Giving file.
SERVICE_PREFIX = "service"


def reserved_slugs() -> frozenset[str]:
    """What a council's slug may not be: the first part of the service's own addresses (a
    council at /grants/ would take every council's public pages), read from the URLconf."""
    from django.urls import get_resolver

    firsts = {SERVICE_PREFIX, "static", "media", "healthz", "favicon.ico"}
    for pattern in get_resolver().url_patterns:
        text = str(pattern.pattern).lstrip("^/")
        first = text.split("/", 1)[0]
        if first and first.replace("-", "").replace(".", "").isalnum():
            firsts.add(first)
    return frozenset(firsts)


def _by_host() -> dict[str, Council]:
    return _cached("hosts", lambda: {c.host.lower(): c for c in every_council() if c.host})


def _by_slug() -> dict[str, Council]:
    return _cached("slugs", lambda: {c.slug: c for c in every_council() if c.slug})


def resolve(host: str, path: str) -> tuple[Council | None, str]:
    """The council a request to `host` for `path` is for, and the path prefix that named it
    ("" when the host did, or when the service has one council). A request whose host and path
    name no council is for the council `settings.DEFAULT_COUNCIL` names (a slug; none when it is
    blank), except under /admin/, which is then the service administrator's."""
    council_for_host = _by_host().get(host.split(":", 1)[0].lower())
    if council_for_host is not None:
        return council_for_host, ""
    first = path.lstrip("/").split("/", 1)[0]
    if first == SERVICE_PREFIX:
        return None, f"/{SERVICE_PREFIX}"
    council_for_path = _by_slug().get(first) if first else None
    if council_for_path is not None:
        return council_for_path, f"/{first}"
    councils = every_council()
    if len(councils) == 1:
        return councils[0], ""
    if not path.startswith("/admin/"):  # the service administrator's own, service-wide
        default = _by_slug().get(getattr(settings, "DEFAULT_COUNCIL", "") or "")
        if default is not None:
            return default, ""
    return None, ""


class CouncilMiddleware:
    """Sets the request's council from its host name, or from the first part of its path where
    one host serves several councils (`/thornbury-vale/officer/`): then Django sees the rest of
    the path, and every link it makes (`reverse`, `{% url %}`) carries the prefix. With one
    council on the service every request is for it. `request.council` is the council (or None on
    the service's own pages); the scope is set for the view and reset after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import Http404
        from django.urls import get_script_prefix, set_script_prefix

        if request.path_info == "/healthz":  # reads no council's rows, and may find no database
            request.council = None
            return self.get_response(request)
        if request.path_info.startswith(NO_COUNCIL_PATHS):
            # Answered even when the database is not.
            try:
                found, prefix = resolve(request.get_host(), request.path_info)
            except DatabaseError:
                request.council = None
                with acting_for(NOTHING):
                    return self.get_response(request)
        else:
            found, prefix = resolve(request.get_host(), request.path_info)
        request.council = found
        if found is None:
            path = request.path_info[len(prefix) :] or "/"  # under /service/, the rest
            if every_council() and not (path == "/" or path.startswith(SERVICE_PATHS)):
                if not path.startswith("/admin/"):
                    raise Http404("No council on this service has that address.")
            user = getattr(request, "user", None)
            value: int | str = SERVICE if user is not None and user.is_superuser else NOTHING
        else:
            value = found.pk
        script_prefix = get_script_prefix()
        if prefix:
            request.path_info = request.path_info[len(prefix) :] or "/"
            request.council_prefix = prefix
            set_script_prefix(script_prefix.rstrip("/") + prefix + "/")
        try:
            with acting_for(value):
                response = self.get_response(request)
        finally:
            # The prefix is the thread's: the next request on it (a test client's, a development
            # server's thread) starts from the server's own, not from this council's.
            set_script_prefix(script_prefix)
        if response.streaming:  # read by the server after this returns: in the same scope
            response.streaming_content = _streamed_for(value, response.streaming_content)
        return response


def _streamed_for(value: int | str, chunks) -> Iterator:
    """The chunks, each made in the request's scope; between chunks (a client reading slowly, a
    download abandoned) no scope is left set."""
    iterator = iter(chunks)
    while True:
        with acting_for(value):
            chunk = next(iterator, _END)
        if chunk is _END:
            return
        yield chunk


_END = object()
