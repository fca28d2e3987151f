"""How the API shows the finance area: payments, payment runs and their files, bank statements
and their lines, and matches. Money is a string of pounds with two places, as in
`budgets.serializers`, whose years and people these use; nothing here writes (views call
services)."""

from __future__ import annotations

from rest_framework import serializers

from budgets.models import (
    Match,
    Payment,
    PaymentFile,
    PaymentRun,
    PaymentRunLine,
    Statement,
    StatementLine,
)
from budgets.serializers import FundYearBriefSerializer, Money, PersonField
from budgets.statement_files import RENAMED
from finance.reconcile_forms import AUTO, DATE_FORMATS, LAYOUT_CHOICES

# --- payments and runs ----------------------------------------------------------------------


class PaymentSerializer(serializers.ModelSerializer):
    grant = serializers.CharField(source="schedule.reference", read_only=True)
    payee = serializers.CharField(source="schedule.payee", read_only=True)
    fund_year = FundYearBriefSerializer(source="schedule.fund_year", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    condition_met = serializers.BooleanField(read_only=True)
    amount = Money()

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference",
            "grant",
            "payee",
            "fund_year",
            "number",
            "amount",
            "due_on",
            "condition",
            "condition_met",
            "status",
            "status_label",
            "run",
        ]


class PayableRowSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    application = serializers.IntegerField(
        source="application.pk", allow_null=True, default=None, help_text="The grant's id."
    )
    reason = serializers.CharField(help_text="Why it is held, waiting or stopped; blank if due.")


class PayableSerializer(serializers.Serializer):
    """finance.payments.payable: every unpaid payment, sorted into what can be paid now
    and what cannot, with the reason a person can read."""

    on = serializers.DateField()
    due_total = Money()
    held_total = Money()
    due = PayableRowSerializer(many=True, help_text="Due and payable: the next run takes them.")
    held = PayableRowSerializer(many=True, help_text="Held: bank details not verified.")
    waiting = PayableRowSerializer(many=True, help_text="A condition not yet met.")
    later = PayableRowSerializer(many=True, help_text="Due after the day asked about.")
    returned = PayableRowSerializer(many=True, help_text="Returned by the bank: reissue them.")
    stopped = PayableRowSerializer(many=True, help_text="The grant is no longer being paid.")


class QueryDateField(serializers.DateField):
    """A date in a query string. Given empty (`?on=`) it is bad input, not left out: REST
    framework would otherwise read it as not given and answer for today."""

    def get_value(self, dictionary):
        if self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)


class PayableQuerySerializer(serializers.Serializer):
    on = QueryDateField(required=False, help_text="The pay date to ask about: today.")


class PaymentFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentFile
        fields = ["kind", "name", "sha256", "created_at"]


class PaymentRunLineSerializer(serializers.ModelSerializer):
    account = serializers.CharField(
        source="masked_account", read_only=True, help_text="Sort code and account, masked."
    )
    amount = Money()

    class Meta:
        model = PaymentRunLine
        fields = [
            "id",
            "payment",
            "reference",
            "amount",
            "payee",
            "account",
            "status",
            "cleared_on",
        ]


class PaymentRunSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    status_label = serializers.CharField(
        source="status_text",
        read_only=True,
        help_text="What is true of the run now: 'Authorised: BACS file ready', 'Sent to bank on "
        "5 December 2026', 'Cleared on 8 December 2026'. `status` keeps its values.",
    )
    prepared_by = PersonField(read_only=True)
    authorised_by = PersonField(read_only=True, allow_null=True)
    cancelled_by = PersonField(read_only=True, allow_null=True)
    files = PaymentFileSerializer(many=True, read_only=True)
    total = Money()

    class Meta:
        model = PaymentRun
        fields = [
            "id",
            "number",
            "pay_date",
            "status",
            "status_label",
            "total",
            "count",
            "prepared_by",
            "prepared_at",
            "authorised_by",
            "authorised_at",
            "cancelled_by",
            "cancelled_at",
            "cancel_reason",
            "files",
        ]


class PaymentRunDetailSerializer(PaymentRunSerializer):
    lines = PaymentRunLineSerializer(many=True, read_only=True)
    check = serializers.SerializerMethodField(
        help_text="While the run waits for authorisation: the seal of what it pays (pay date, "
        "count, total, each line). Send it back with `authorise` to authorise the run only as "
        "you read it; null once the run is authorised or cancelled."
    )

    class Meta(PaymentRunSerializer.Meta):
        fields = [*PaymentRunSerializer.Meta.fields, "lines", "check"]

    def get_check(self, run) -> str | None:
        from budgets.payments import run_check

        if run.status != run.Status.PREPARED:
            return None
        return run_check(run, list(run.lines.all()))


class RunAuthoriseSerializer(serializers.Serializer):
    check = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The run's `check` as you read it (required: without it, or if the run "
        "changed since, the run is refused with 409 and nothing is paid). Optional in the "
        "schema only so that who may authorise is answered (403) before the body is read.",
    )


class RunPrepareSerializer(serializers.Serializer):
    pay_date = serializers.DateField(help_text="The BACS processing day: a weekday, from today.")


class RunCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text="Why the run will not be sent.")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


# --- statements and matches -----------------------------------------------------------------


class StatementSerializer(serializers.ModelSerializer):
    imported_by = PersonField(read_only=True)
    unmatched = serializers.IntegerField(read_only=True, help_text="Lines not yet matched.")
    money_out = Money()
    money_in = Money()
    opening_balance = Money(allow_null=True, help_text="Before its first line, where it says.")
    closing_balance = Money(allow_null=True, help_text="After its last line, where it says.")

    class Meta:
        model = Statement
        fields = [
            "id",
            "filename",
            "format",
            "layout",
            "account",
            "sha256",
            "line_count",
            "unmatched",
            "first_date",
            "last_date",
            "money_out",
            "money_in",
            "opening_balance",
            "closing_balance",
            "imported_by",
            "imported_at",
        ]


class StatementLineSerializer(serializers.ModelSerializer):
    amount = Money()

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "statement",
            "number",
            "date",
            "amount",
            "description",
            "reference",
            "bank_id",
            "status",
            "note",
        ]


class StatementUploadSerializer(serializers.Serializer):
    """A bank statement file and, for CSV, its column layout: one of the presets, or `custom`
    with the columns named as in the file's heading. OFX and camt.053 need no layout."""

    file = serializers.FileField(help_text="CSV, OFX or ISO 20022 camt.053. Up to 20 MB.")
    layout = serializers.ChoiceField(
        choices=[
            *LAYOUT_CHOICES,
            *((key, f"Former name of {new}") for key, new in RENAMED.items()),
        ],
        default=AUTO,
        help_text="auto: found from the file's heading when exactly one layout fits it, else "
        "the layout last used for the account. Remembered for the account.",
    )
    headerless = serializers.BooleanField(
        required=False, help_text="custom: the file has no heading; columns are numbers from 1."
    )
    balance_column = serializers.CharField(max_length=60, required=False, allow_blank=True)
    date_column = serializers.CharField(max_length=60, required=False, allow_blank=True)
    date_format = serializers.ChoiceField(choices=DATE_FORMATS, required=False)
    description_columns = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Comma-separated."
    )
    amount_column = serializers.CharField(max_length=60, required=False, allow_blank=True)
    out_column = serializers.CharField(max_length=60, required=False, allow_blank=True)
    in_column = serializers.CharField(max_length=60, required=False, allow_blank=True)
    skip_rows = serializers.IntegerField(min_value=0, max_value=20, required=False)

    def validate(self, attrs):
        """The statement page's own form decides the layout, so both check it alike."""
        from finance.reconcile_forms import StatementForm

        data = {k: v for k, v in attrs.items() if k != "file"}
        form = StatementForm(data=data, files={"file": attrs["file"]})
        if not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            )
        attrs["columns"] = form.cleaned_data["columns"]
        return attrs


class StatementImportedSerializer(serializers.Serializer):
    statement = StatementSerializer()
    matched = serializers.IntegerField(help_text="Lines matched to payments on import.")
    skipped = serializers.IntegerField(help_text="Lines an earlier statement already held.")


class RunLineChoiceSerializer(serializers.Serializer):
    run_line = serializers.PrimaryKeyRelatedField(
        queryset=PaymentRunLine.objects.all(), help_text="The payment run line the line is."
    )


class SetAsideSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255, help_text="What the line is, if not a grant.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text="Why the match is wrong.")


class MatchSerializer(serializers.ModelSerializer):
    statement = serializers.IntegerField(source="line.statement_id", read_only=True)
    line_number = serializers.IntegerField(source="line.number", read_only=True)
    reference = serializers.CharField(source="run_line.reference", read_only=True)
    amount = Money(source="run_line.amount")
    matched_by = PersonField(read_only=True, allow_null=True)
    undone_by = PersonField(read_only=True, allow_null=True)
    run = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="Method run_total: the payment run whose total the line is; each of the run's "
        "payments has a match naming it, and undoing one undoes them all.",
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "line",
            "statement",
            "line_number",
            "run_line",
            "reference",
            "amount",
            "kind",
            "method",
            "run",
            "matched_at",
            "matched_by",
            "undone_at",
            "undone_by",
            "undo_reason",
        ]


class ReconciledSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Lines matched by this run of the matching.")
