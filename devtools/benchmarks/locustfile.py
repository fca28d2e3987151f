"""The simulated people of `manage.py benchmark load` (devtools/benchmarks/load.py), for locust.

The real mix, on the demo council: the public browsing /grants/, applicants drafting ("Save and
come back later") and submitting applications, councillors on their home page pledging support,
grants officers on the workbench checking, assessing and deciding bids under delegated
authority, and finance officers preparing and checking payment runs (authorising one now and
then with the seal its check page shows). Every request is named by its page kind
("/grants/[ref]/"), so the figures come per page.

Everyone signs in through the sign-in page with the demo's logins. Finance officers must pass
two-factor authentication: the benchmark gives each demo finance officer an authenticator (a
TOTP device with a key it made, in its own throwaway database) and hands the keys over in
LOAD_TOTP_KEYS; the simulated officer types the code as a person would.

An answer counts as an error when it is a 5xx, an unexpected status or a page that is not the
one expected. A form sent back with the product's refusal (two simulated officers deciding the
same bid, a councillor pledging more than is left) is the product saying no, correctly: it is a
success, counted apart as refused in the figures (LOAD_FIGURES, a JSON file written at the end).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
import threading
import time
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-grants-2026")
TOTP_KEYS: dict[str, str] = json.loads(os.environ.get("LOAD_TOTP_KEYS") or "{}")
LOGINS: dict[str, list[str]] = json.loads(os.environ.get("LOAD_LOGINS") or "{}")
OUTCOMES = Counter()
_lock = threading.Lock()
_codes_used: dict[str, int] = {}  # username -> the last TOTP time step typed (each works once)


_environment = None


@events.init.add_listener
def _remember(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.quit.add_listener
def _write_figures(**_kwargs) -> None:
    """The figures, whole, once every request has finished (locust's CSV files are written
    every second, not at the end): for devtools/benchmarks/load.py to print."""
    path = os.environ.get("LOAD_FIGURES")
    if not path or _environment is None:
        return
    stats = _environment.stats

    def entry(e) -> dict:
        return {
            "method": e.method or "",
            "name": e.name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "rps": e.total_rps,
            **{f"p{round(q * 100)}": e.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)},
        }

    figures = {
        "pages": [entry(e) for e in stats.entries.values() if e.num_requests or e.num_failures],
        "total": entry(stats.total),
        "seconds": (stats.total.last_request_timestamp or 0) - stats.total.start_time,
        "errors": [e.to_dict() for e in stats.errors.values()],
        "exceptions": [
            {"count": x["count"], "msg": x["msg"]}
            for x in (_environment.runner.exceptions.values() if _environment.runner else [])
        ],
        "refused": dict(OUTCOMES),
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(figures, out)


def totp(key: str, step: int) -> str:
    """The authenticator app's code for a time step (RFC 6238: HMAC-SHA1, six digits)."""
    digest = hmac.new(bytes.fromhex(key), step.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF:010d}"[-6:]


_turns: Counter = Counter()


def next_login(role: str) -> str:
    """The role's demo logins in turn, so that two finance officers are two people (the one
    who prepared a run may not authorise it)."""
    with _lock:
        turn = _turns[role]
        _turns[role] += 1
    return LOGINS[role][turn % len(LOGINS[role])]


# --- forms --------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page, each with its action, method and the values a browser would send
    as it stands (text inputs, hidden inputs, checked boxes, selected options, text areas)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
                "choices": {},
                "radios": set(),
                "buttons": [],
            }
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form["choices"].setdefault(name, []).append(a.get("value", "on"))
                if kind == "radio":
                    form["radios"].add(name)
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            elif kind in ("submit", "image", "button"):
                form["buttons"].append((name, a.get("value", "")))
            elif kind != "file":
                form["fields"].append((name, a.get("value", "")))
        elif tag == "button" and name:
            form["buttons"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form["choices"].setdefault(self._select, []).append(value)
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                form["fields"].append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            self._form["fields"].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def refused(html: str) -> str | None:
    """The error summary's first message, if the page came back with one."""
    if "govuk-error-summary" not in html:
        return None
    summary = html[html.index("govuk-error-summary") :]
    summary = summary[: summary.find("</ul>") if "</ul>" in summary else 2000]
    items = re.findall(r"<li[^>]*>(.*?)</li>", summary, flags=re.S)
    text = re.sub(r"<[^>]+>", "", items[0]) if items else "refused"
    return unescape(re.sub(r"\s+", " ", text)).strip()


def has_form(response, match: str) -> bool:
    """Whether the page offers a form that posts to a URL ending with `match`."""
    return any(
        f["method"] == "post" and urlsplit(urljoin(response.url, f["action"])).path.endswith(match)
        for f in forms_of(response.text)
    )


class Unexpected(Exception):
    pass


# --- people -------------------------------------------------------------------------------------


class Person(HttpUser):
    abstract = True
    # A person reads a page before the next (LOAD_WAIT="min,max" seconds: the quick run's).
    wait_time = between(*(float(x) for x in os.environ.get("LOAD_WAIT", "1,4").split(",")))
    role = ""

    def on_start(self) -> None:
        self.client.headers["Host"] = "localhost"
        self.username = ""
        if self.role:
            self.sign_in(next_login(self.role))

    # Requests: `page` is the page kind, the row of the table.
    def get(self, url: str, page: str, *, expect=(200,)):
        with self.client.get(url, name=page, catch_response=True, allow_redirects=False) as r:
            if r.status_code not in expect:
                r.failure(f"{r.status_code} for GET {url} -> {r.headers.get('Location')}")
                raise Unexpected(url)
            r.success()
            return r

    def submit(self, response, page: str, *, match=None, data=None, button=None, expect=(302,)):
        """Send a form of `response`'s page as a browser would, with `data` typed over it: the
        first form whose address ends with `match` (a section's own form, not the remove
        buttons of its lines). Returns the response: a redirect (done), or 200 with the
        product's refusal (counted), anything else an error."""
        # Every signed-in page has the sign-out button's form: never that one.
        forms = [
            f
            for f in forms_of(response.text)
            if f["method"] == "post" and "/sign-out/" not in f["action"]
        ]
        for form in forms:
            form["url"] = urljoin(response.url, form["action"] or response.url)
        if match is not None:
            forms = [f for f in forms if urlsplit(f["url"]).path.endswith(match)]
        if not forms:
            with self.client.get(
                response.url, name=page + " (form missing)", catch_response=True
            ) as r:
                r.failure(f"no form {match!r} on {response.url}")
            raise Unexpected(response.url)
        form = forms[0]
        fields = [(k, v) for k, v in form["fields"] if k not in (data or {})]
        # A question of radios nobody has answered yet: a person picks one.
        answered = {k for k, _ in fields} | set(data or {})
        for name in form["radios"] - answered:
            fields.append((name, random.choice(form["choices"][name])))
        for key, value in (data or {}).items():
            for v in value if isinstance(value, list) else [value]:
                fields.append((key, v))
        if button is not None:
            fields.append(button)
        parts = urlsplit(form["url"])
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Referer": response.url}
        with self.client.post(
            path,
            data=fields,
            name=page,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as r:
            if r.status_code in expect:
                r.success()
            elif r.status_code in (200, 400, 409) and (reason := refused(r.text)):
                r.success()  # the product said no, as it should: counted apart
                with _lock:
                    OUTCOMES[f"{page}: {reason[:90]}"] += 1
            else:
                r.failure(f"{r.status_code} for POST {path}")
                raise Unexpected(path)
            return r

    def follow(self, response, page: str):
        return self.get(response.headers["Location"], page)

    def sign_in(self, username: str) -> None:
        self.username = username
        page = self.get("/sign-in/", "/sign-in/")
        done = self.submit(page, "/sign-in/", data={"username": username, "password": PASSWORD})
        if done.status_code != 302:
            raise Unexpected(f"sign-in refused for {username}")
        key = TOTP_KEYS.get(username)
        if key is None:
            self.land()
            return
        page = self.get("/account/two-factor/code/", "/account/two-factor/code/")
        done = self.submit(page, "/account/two-factor/code/", data={"code": self._code(key)})
        if done.status_code != 302:
            raise Unexpected(f"two-factor code refused for {username}")
        self.land()

    def land(self) -> None:
        """The home page sends each person to theirs (named by its path: no ids in it)."""
        home = self.get("/", "/", expect=(302,))
        where = urlsplit(home.headers["Location"]).path
        self.get(where, where)

    def _code(self, key: str) -> str:
        """A code from the authenticator: each works once, so a second simulated person signing
        in as the same officer waits for the next one, as a person would."""
        while True:
            step = int(time.time()) // 30
            with _lock:
                if _codes_used.get(self.username, -1) < step:
                    _codes_used[self.username] = step
                    return totp(key, step)
            time.sleep(30 - time.time() % 30 + 0.2)

    def links(self, response, pattern: str) -> list[str]:
        return sorted(set(re.findall(pattern, response.text)))


class Public(Person):
    """Someone reading what the council has granted."""

    weight = 16

    @task(4)
    def grants(self) -> None:
        page = random.choice(["", "?page=2", "?page=3"])
        r = self.get(f"/grants/{page}", "/grants/" if not page else "/grants/?page=[n]")
        years = self.links(r, r'href="(/grants/\?[^"]*year=[^"&]*)"')
        if years and random.random() < 0.3:
            self.get(unescape(random.choice(years)), "/grants/?year=[y]")

    @task(2)
    def wards(self) -> None:
        r = self.get("/grants/wards/", "/grants/wards/")
        wards = self.links(r, r'href="(/grants/wards/[^"/]+/)"')
        if wards:
            self.get(random.choice(wards), "/grants/wards/[gss]/")

    @task(1)
    def home(self) -> None:
        self.land()


class Applicant(Person):
    """A group's treasurer: drafts an application over several visits, then submits it."""

    weight = 12
    role = "applicant"
    draft: str | None = None

    @task
    def visit(self) -> None:
        home = self.get("/apply/", "/apply/")
        if self.draft is None:
            self.begin()
        else:
            self.carry_on(home)

    def begin(self) -> None:
        choose = self.get("/apply/new/", "/apply/new/")
        funds = [v for f in forms_of(choose.text) for v in f["choices"].get("fund_year", []) if v]
        if not funds:
            raise Unexpected("no fund open to apply to")
        fund = random.choice(funds)
        r = self.get(f"/apply/new/?fund_year={fund}", "/apply/new/?fund_year=[id]", expect=(302,))
        start = self.follow(r, "/apply/new/[fund]/")
        done = self.submit(start, "/apply/new/[fund]/")
        if done.status_code == 302:
            self.draft = re.search(r"/applications/(\d+)/", done.headers["Location"]).group(1)
            self.step = 0

    def section(self, slug: str, data: dict, *, later: bool) -> None:
        url = f"/apply/applications/{self.draft}/{slug}/"
        page = self.get(url, f"/apply/applications/[id]/{slug}/", expect=(200, 302))
        if page.status_code == 302:  # no longer a draft
            self.draft = None
            return
        action = {"action": "later" if later else "continue"}
        self.submit(
            page, f"/apply/applications/[id]/{slug}/", match=f"/{slug}/", data={**data, **action}
        )

    def carry_on(self, home) -> None:
        tasks = self.get(
            f"/apply/applications/{self.draft}/tasks/",
            "/apply/applications/[id]/tasks/",
            expect=(200, 302),
        )
        if tasks.status_code == 302:
            self.draft = None
            return
        # £1,200 of £1,500 asked, the rest from the parish: within every demo fund's limits,
        # with the Community Asset Fund's 20% from elsewhere.
        steps = [
            (
                "about",
                {
                    "title": f"Benches for the green {random.randint(1, 99999)}",
                    "purpose": "Benches and planters for the village green.",
                    "people_benefiting": "120",
                },
            ),
            ("costs", {"item": "Benches and planters", "cost": "1500"}),
            ("amount", {"amount_requested": "1200"}),
            (
                "dates",
                {
                    "project_start_0": "1",
                    "project_start_1": "2",
                    "project_start_2": "2027",
                    "project_end_0": "1",
                    "project_end_1": "3",
                    "project_end_2": "2027",
                },
            ),
            ("other-funding", {"source": "Parish council", "amount": "300", "secured": "yes"}),
            ("documents", {}),
        ]
        if self.step < len(steps):
            slug, data = steps[self.step]
            # Half the time the treasurer saves for later and comes back to the same page.
            later = random.random() < 0.5
            self.section(slug, data, later=later)
            if not later:
                self.step += 1
            return
        check = self.get(
            f"/apply/applications/{self.draft}/check/",
            "/apply/applications/[id]/check/",
            expect=(200, 302),
        )
        if check.status_code == 200:
            done = self.submit(check, "/apply/applications/[id]/check/", match="/check/")
            if done.status_code == 302:
                self.follow(done, "/apply/applications/[id]/done/submitted/")
        self.draft = None


class Councillor(Person):
    """A ward councillor: home page, a bid, and support for it from their allocation."""

    weight = 10
    role = "councillor"

    @task
    def visit(self) -> None:
        home = self.get("/councillor/", "/councillor/")
        bids = self.links(home, r'href="/councillor/bids/([^"/]+)/"')
        if not bids:
            return
        ref = random.choice(bids)
        bid = self.get(f"/councillor/bids/{ref}/", "/councillor/bids/[ref]/")
        if f"/councillor/bids/{ref}/support/" not in bid.text or random.random() < 0.5:
            return
        form = self.get(f"/councillor/bids/{ref}/support/", "/councillor/bids/[ref]/support/")
        done = self.submit(
            form,
            "/councillor/bids/[ref]/support/",
            match="/support/",
            data={
                "amount": random.choice(["50.00", "100.00", "200.00"]),
                "statement": "A good project for the ward.",
            },
        )
        if done.status_code == 302:
            self.follow(done, "/councillor/bids/[ref]/supported/")


class GrantsOfficer(Person):
    """The workbench's queues, and the next step on a bid: eligibility, assessment, decision."""

    weight = 8
    role = "officer"
    QUEUES = {
        "submitted": "eligibility",
        "under_assessment": "assess",
        "awaiting_decision": "decide",
    }

    @task(2)
    def workbench(self) -> None:
        self.get("/officer/", "/officer/")

    @task(5)
    def next_step(self) -> None:
        state = random.choice(list(self.QUEUES))
        queue = self.get(f"/officer/?state={state}", "/officer/?state=[state]")
        refs = self.links(queue, r'href="/officer/applications/([^"/?]+)/"')
        if not refs:
            return
        ref = random.choice(refs)
        self.get(f"/officer/applications/{ref}/", "/officer/applications/[ref]/")
        slug = self.QUEUES[state]
        page = self.get(
            f"/officer/applications/{ref}/{slug}/", f"/officer/applications/[ref]/{slug}/"
        )
        if not has_form(page, f"/{slug}/"):
            # Not offered (another officer took it, or above the delegated limit): the page
            # says why.
            return
        data = {
            "eligibility": {"outcome": "mark_eligible", "note": "Eligible."},
            "assess": {"recommendation": "approve", "notes": "Meets the fund's aims."},
            "decide": {"outcome": "approve", "reasons": "Meets the fund's aims."},
        }[slug]
        done = self.submit(
            page, f"/officer/applications/[ref]/{slug}/", match=f"/{slug}/", data=data
        )
        if done.status_code == 302:
            self.follow(done, "/officer/applications/[ref]/")


class FinanceOfficer(Person):
    """Payment runs: the list, a new run prepared, its check page, now and then authorised."""

    weight = 4
    role = "finance"

    @task(3)
    def home(self) -> None:
        self.get("/finance/", "/finance/")
        self.get("/finance/runs/", "/finance/runs/")

    @task(2)
    def payment_run(self) -> None:
        runs = self.get("/finance/runs/", "/finance/runs/")
        open_runs = self.links(runs, r'href="/finance/runs/(\d+)/"')
        if not open_runs or random.random() < 0.3:
            new = self.get("/finance/runs/new/", "/finance/runs/new/")
            done = self.submit(new, "/finance/runs/new/", match="/runs/new/")
            if done.status_code != 302:
                return
            run = done.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        else:
            run = random.choice(open_runs)
        page = self.get(f"/finance/runs/{run}/", "/finance/runs/[id]/")
        if f"/finance/runs/{run}/check/" not in page.text:
            return
        check = self.get(
            f"/finance/runs/{run}/check/", "/finance/runs/[id]/check/", expect=(200, 302)
        )
        if check.status_code == 200 and random.random() < 0.2 and "/authorise/" in check.text:
            done = self.submit(check, "/finance/runs/[id]/authorise/", match="/authorise/")
            if done.status_code == 302:
                self.follow(done, "/finance/runs/[id]/authorised/")


if os.environ.get("LOAD_ONE_EACH"):
    # The quick run: one person of each kind, whatever the weights.
    # (Not a loop: locust takes every User class a module global names, a loop variable too.)
    Public.fixed_count = Applicant.fixed_count = Councillor.fixed_count = 1
    GrantsOfficer.fixed_count = FinanceOfficer.fixed_count = 1
