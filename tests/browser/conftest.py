"""What every browser test shares beyond tests/browser/__init__.py's steps."""

from playwright.sync_api import expect

# Playwright's assertions wait 5 s by default. On two cores running two test workers,
# PostgreSQL and Chromium at once, a page that renders in a fraction of a second alone has
# twice taken longer to arrive after a click (tests/browser/test_groups.py), failing a test
# that passes alone. A missing element still fails, after 15 s instead of 5.
expect.set_options(timeout=15_000)
