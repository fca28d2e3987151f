"""The dates a group is asked to meet after an award, worked out once, by the fund's rules, for
every place that states them: the offer letter, the group's status page, the officers' pages and
the reminders.

A letter never asks for something by a day before its own date: a project that has already
ended when the offer is made (the council decided late, or the project ran before the money
came) still gets the fund's full time for its end-of-grant report, counted from the letter.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from applications.models import Application


def offer_made_on(app: Application) -> datetime.date | None:
    """The day the grant was approved: the offer letter's date (one query)."""
    approved = (
        app.transitions.filter(transition="approve").order_by("-pk").values_list("at", flat=True)
    ).first()
    return timezone.localdate(approved) if approved else None


def report_due_on(app: Application, *, letter_on: datetime.date | None = None) -> datetime.date:
    """When the end-of-grant report is due, by the fund year's rule: `monitoring_due_days`
    after the project ends, and never sooner than that many days after the offer letter
    (`letter_on`, by default the day the grant was approved, or today before any approval).
    Whether the fund asks for a report at all is `fund_year.monitoring_required`."""
    letter_on = letter_on or offer_made_on(app) or timezone.localdate()
    counted_from = max(app.project_end or letter_on, letter_on)
    return counted_from + datetime.timedelta(days=app.fund_year.monitoring_due_days)
