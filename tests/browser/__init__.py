"""Shared steps for the browser tests: signing in, accessibility checks, screenshots."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


def sign_in(page, live_server, username: str, password: str = "correct-horse-battery") -> None:
    """Sign in through the page with an e-mail address or username. A person whose role needs
    two-factor authentication (a finance officer, an administrator) is given an authenticator
    first if they have none; for anyone with one, the code step is answered with its code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from fundmgr.models import User
    from fundmgr.two_factor import two_factor_required
    from tests.authenticator import authenticator_for, code_for

    user = User.objects.filter(username=username).first()
    device = None
    if user is not None and user.check_password(password):
        if two_factor_required(user) or TOTPDevice.objects.filter(user=user).exists():
            device = authenticator_for(user)
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Email address").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        heading = page.get_by_role("heading", name="Enter the code from your authenticator app")
        expect(heading).to_be_visible()
        page.get_by_label("Code", exact=True).fill(code_for(device))
        page.get_by_role("button", name="Continue").click()
        expect(heading).to_have_count(0)


# WCAG 2.2 A and AA, and axe's best practices: among them `region` (all content inside
# landmarks), one <main>, one banner and one contentinfo, a level-one heading, headings in order.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BEST_PRACTICE = "best-practice"


def _counts(violation: dict) -> bool:
    """A WCAG finding of serious or critical impact; a best practice's at moderate and above
    (`region` and the landmark rules are moderate). Minor ones are not held against a page."""
    if BEST_PRACTICE in violation["tags"]:
        return violation["impact"] in ("moderate", "serious", "critical")
    return violation["impact"] in ("serious", "critical")


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA findings of serious or critical impact and its best practices'
    of moderate and above, one line each. The page must have finished loading: a script added
    while it is still navigating has no document to go into."""
    page.wait_for_load_state("load")
    # Evaluated through the browser's DevTools connection, not added as a <script> element: the
    # Content-Security-Policy refuses inline script, as it would any other injected code.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})""",
        [*WCAG_TAGS, BEST_PRACTICE],
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if _counts(v)
    ]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fits_width(page) -> bool:
    """Nothing makes the whole page scroll sideways (wide tables scroll inside their wrapper)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def follow(page, link) -> None:
    """Click a link and wait for the page it leads to. If that page has not begun to arrive
    within 10 s the click is taken once more: in full-suite runs on two cores a click on a page
    that had only just loaded was, now and then, lost (three different steps of
    tests/browser/test_groups.py, each passing alone). Following a link is a GET, so a second
    click changes nothing; a link that leads nowhere still fails."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.url
    for attempt in range(2):
        link.click()
        try:
            page.wait_for_url(lambda url: url != before, timeout=10_000)
        except PlaywrightTimeout:
            if attempt:
                raise
            continue
        page.wait_for_load_state()
        return
