"""The application state machine, top to bottom like the table in DESIGN.md.

Each transition only changes the state: `applications.services` calls it inside one database
transaction together with its ledger postings, its TransitionLog row and its notifications.
"""

from django.db import models
from django_fsm import RETURN_VALUE, FSMModelMixin, transition

from applications import rules as r


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    INELIGIBLE = "ineligible", "Not eligible"
    AWAITING_SUPPORT = "awaiting_support", "Waiting for councillor support"
    UNDER_ASSESSMENT = "under_assessment", "Being assessed"
    AWAITING_DECISION = "awaiting_decision", "Waiting for a decision"
    APPROVED = "approved", "Offer made"
    REJECTED = "rejected", "Not funded"
    OFFER_ACCEPTED = "offer_accepted", "Offer accepted"
    MONITORING = "monitoring", "Paid: monitoring"
    CLOSED = "closed", "Closed"
    LAPSED = "lapsed", "Offer lapsed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVOKED = "revoked", "Revoked"


S = Status
BEFORE_PAYMENT = [
    S.DRAFT,
    S.SUBMITTED,
    S.AWAITING_SUPPORT,
    S.UNDER_ASSESSMENT,
    S.AWAITING_DECISION,
    S.APPROVED,
    S.OFFER_ACCEPTED,
]
FINAL = {S.INELIGIBLE, S.REJECTED, S.CLOSED, S.LAPSED, S.WITHDRAWN, S.REVOKED}


class ApplicationWorkflow(FSMModelMixin):
    def refresh_from_db(self, *args, **kwargs):
        """Re-read the row. django-fsm-2's FSMModelMixin does it by switching `protected` off on
        the field, which every thread shares: a second thread refreshing at the same moment could
        find it switched back on and fail. The descriptor only refuses a status already in the
        instance's __dict__, so dropping it first lets Django set it with the field protected."""
        fields = kwargs.get("fields", args[1] if len(args) > 1 else None)
        if fields is None or "status" in fields:
            self.__dict__.pop("status", None)
        models.Model.refresh_from_db(self, *args, **kwargs)

    # fmt: off
    @transition("status", source=S.DRAFT, target=S.SUBMITTED, permission=r.group_member,
                conditions=[r.answers_complete, r.budget_adds_up, r.amount_within_limits,
                            r.match_funding_met, r.fund_window_open])
    def submit(self): ...

    @transition("status", source=S.SUBMITTED, target=S.INELIGIBLE,
                permission=r.may_check_eligibility)
    def mark_ineligible(self): ...

    @transition("status", source=S.SUBMITTED,
                target=RETURN_VALUE(S.AWAITING_SUPPORT, S.UNDER_ASSESSMENT),
                permission=r.may_check_eligibility)
    def mark_eligible(self):
        if self.fund_year.councillor_support_required:
            return S.AWAITING_SUPPORT
        return S.UNDER_ASSESSMENT

    @transition("status", source=[S.SUBMITTED, S.AWAITING_SUPPORT, S.UNDER_ASSESSMENT],
                target=S.DRAFT, permission=r.may_check_eligibility)
    def return_to_applicant(self): ...

    @transition("status", source=S.AWAITING_SUPPORT, target=S.UNDER_ASSESSMENT,
                permission=r.councillor_or_officer,
                conditions=[r.support_complete, r.outside_pre_election_period])
    def endorse(self): ...

    @transition("status", source=S.UNDER_ASSESSMENT, target=S.AWAITING_DECISION,
                permission=r.may_assess)
    def recommend(self): ...

    @transition("status", source=S.AWAITING_DECISION, target=S.APPROVED, permission=r.may_decide,
                conditions=[r.outside_pre_election_period])
    def approve(self): ...

    @transition("status", source=S.AWAITING_DECISION, target=S.REJECTED, permission=r.may_decide)
    def reject(self): ...

    @transition("status", source=S.APPROVED, target=S.OFFER_ACCEPTED, permission=r.group_member,
                conditions=[r.offer_open])
    def accept_offer(self): ...

    @transition("status", source=S.APPROVED, target=S.LAPSED, permission=r.system_or_officer,
                conditions=[r.offer_expired])
    def lapse(self): ...

    @transition("status", source=S.OFFER_ACCEPTED,
                target=RETURN_VALUE(S.OFFER_ACCEPTED, S.MONITORING),
                permission=r.finance_officer)
    def pay(self):
        return S.MONITORING if self.paid_to_date >= self.amount_awarded else S.OFFER_ACCEPTED

    @transition("status", source=S.MONITORING, target=S.CLOSED, permission=r.grants_officer,
                conditions=[r.monitoring_received])
    def close(self): ...

    @transition("status", source=BEFORE_PAYMENT, target=S.WITHDRAWN,
                permission=r.group_member_or_officer, conditions=[r.nothing_paid])
    def withdraw(self): ...

    @transition("status", source=[S.OFFER_ACCEPTED, S.MONITORING], target=S.REVOKED,
                permission=r.grants_officer, conditions=[r.something_paid])
    def revoke(self): ...
    # fmt: on

    class Meta:
        abstract = True
