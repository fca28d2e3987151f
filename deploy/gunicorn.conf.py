"""gunicorn's settings for fundmgr: `make serve`, the systemd unit (deploy/fundmgr.service) and
the container (deploy/Containerfile) all start it with `-c deploy/gunicorn.conf.py`.

Each can be changed from the environment (docs/operating.md, "The app server"); a command-line
option (`--bind`, as `make serve` gives) wins over this file.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "fundmgr.wsgi:application"
proc_name = "fundmgr"

# Where it listens: loopback behind the reverse proxy (nginx.conf.example proxies to it); the
# container binds 0.0.0.0:8000.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Processes and threads. The documents are made by the background worker, so requests are short
# and mostly wait on PostgreSQL: 2 x cores + 1 processes of a few threads each. Each thread may
# hold a database connection: workers x threads must stay under PostgreSQL's max_connections
# (100 by default) with the other app servers and the worker.
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"

# A request still running after `timeout` seconds is stopped and its process replaced (an export
# of a whole year's data takes a few seconds); on SIGTERM, requests in flight get
# `graceful_timeout` seconds to finish.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5

# Each process is replaced after about this many requests, at different moments (the jitter), so
# memory a library keeps never grows without end and the processes do not all restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The proxies whose X-Forwarded-Proto / X-Forwarded-For gunicorn believes (the nginx on this
# machine by default; a load balancer's addresses, comma separated, otherwise). Django's own
# SECURE_PROXY_SSL_HEADER and PROXY_COUNT settings read the same headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to standard output and error, for journald or the container's log. Each access line ends
# with the request's id: the proxy's X-Request-ID ($request_id in nginx.conf.example), or the one
# fundmgr made up, as the answer's X-Request-ID says; the application's own JSON lines carry the
# same id as "request_id".
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" '
    "request_id=%({x-request-id}o)s"
)

# The heartbeat file of each process on a memory file system where there is one (containers).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn 23+'s control socket (gunicornc) would sit in the home directory, shared by every
# gunicorn of the user and unwritable under the systemd unit's ProtectSystem=strict: nothing here
# uses it.
control_socket_disable = True

# The application is loaded once, in the main process, and each worker process starts as a copy
# of it (sharing its memory until written to). The libraries that only some pages use (pandas for
# the public ward pages and dashboards, ReportLab for documents, openpyxl for spreadsheets) are
# imported lazily so that a management command starts light; here they are imported once, before
# the workers start, so that neither a new worker after `max_requests` nor the first visitor of a
# ward page waits seconds for the import. Code changes need a restart (not a reload: HUP), as
# docs/operating.md's upgrade does.
preload_app = True


def when_ready(server):
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import reportlab.platypus  # noqa: F401


def pre_fork(server, worker):
    # What the main process has loaded (the application, those libraries) is frozen before each
    # worker is forked from it, as Python's gc.freeze advises for a process that forks: the
    # workers' garbage collector then never walks those objects, each collection touching them
    # and copying the pages they lie on. An approval cost 13.0 ms of a worker's CPU with it and
    # 15.3 ms without (`manage.py benchmark approvals`, 8 officers over 5 workers).
    import gc

    gc.freeze()


def post_fork(server, worker):
    # Outside a request a web worker sees no council's rows: every request sets its council
    # (fundmgr/councils.py); nothing a worker does between requests may read any council's.
    from fundmgr import councils

    councils.web_process()
