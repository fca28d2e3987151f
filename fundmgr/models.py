from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, sql
from django.utils import timezone


def png_or_jpeg(logo) -> None:
    """A council's logo is a PNG or JPEG image that can be read (the letterhead draws it). A
    new upload is checked; a logo stored before is what it was."""
    from PIL import Image, UnidentifiedImageError

    if getattr(logo, "_committed", False):
        return
    try:
        logo.seek(0)
        with Image.open(logo) as image:
            found = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "The logo must be a PNG or JPEG image.", code="not_an_image"
        ) from None
    finally:
        logo.seek(0)
    if found not in ("PNG", "JPEG"):
        raise ValidationError(
            f"The logo must be a PNG or JPEG image, not {found}.", code="not_png_or_jpeg"
        )


# The columns a finance system's general-ledger export has (budgets.gl reads them); a council
# whose export heads them otherwise names its headings in Council.gl_columns.
GL_COLUMNS = ("cost_code", "date", "amount", "reference", "description")


def gl_headings(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            'Give the headings as {"cost_code": "Cost Centre", "amount": "Net"}.', code="not_dict"
        )
    unknown = sorted(set(value) - set(GL_COLUMNS))
    if unknown:
        raise ValidationError(
            f"{', '.join(unknown)} is not a column of a GL export: the columns are "
            f"{', '.join(GL_COLUMNS)}.",
            code="unknown_column",
        )
    if not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise ValidationError("Each column's heading is some text.", code="blank_heading")


def bank_account_lines(value: str) -> None:
    """One "sort code account number" a line: 30-99-50 10203040 or 309950 10203040."""
    import re

    for number, line in enumerate(value.splitlines(), start=1):
        if line.strip() and not re.fullmatch(r"\d{2}-?\d{2}-?\d{2}\s+\d{8}", line.strip()):
            raise ValidationError(
                f"Line {number}, '{line.strip()}', is not a sort code and an account number "
                "(30-99-50 10203040).",
                code="not_an_account",
            )


class Council(models.Model):
    """A council on the service: the top of the data (everything a council owns carries its id,
    fundmgr/councils.py) and its own settings, edited by its administrator. The settings file
    keeps only the service's configuration."""

    name = models.CharField(max_length=200)
    gss_code = models.CharField(
        "ONS GSS code",
        max_length=9,
        unique=True,
        validators=[
            RegexValidator(r"^[EWSN]0[6-9]\d{6}$", "A local authority GSS code, E07000123.")
        ],
    )
    org_id = models.CharField(
        "org-id identifier", max_length=40, blank=True, help_text="For 360Giving, GB-LAE-ABC."
    )
    # Where its pages are: its own host name, or a path prefix on the service's host.
    slug = models.SlugField(
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text="The path prefix where one host serves several councils: /thornbury-vale/.",
    )
    host = models.CharField(
        max_length=253,
        blank=True,
        help_text="The council's own host name, grants.thornburyvale.example (no scheme).",
    )
    # The letterhead, page footers and e-mails.
    address = models.TextField(blank=True, help_text="One line of the address a line.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    logo = models.FileField(
        upload_to="councils/", blank=True, validators=[png_or_jpeg], help_text="PNG or JPEG."
    )
    help_name = models.CharField("help contact", max_length=100, blank=True)
    help_email = models.EmailField("help e-mail", blank=True)
    help_phone = models.CharField("help telephone", max_length=40, blank=True)
    help_hours = models.CharField("help hours", max_length=100, blank=True)
    # Published data.
    threesixty_prefix = models.CharField(
        "360Giving prefix", max_length=60, blank=True, help_text="360G-thornburyvale-"
    )
    department = models.CharField(
        max_length=200, blank=True, help_text="The department that runs the grants."
    )
    # Payments: the council as a BACS service user, and its bank accounts.
    bacs_service_user_number = models.CharField(
        "BACS service user number",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-Z]{6}$", "Six digits or capital letters: 912345.")],
    )
    bacs_name = models.CharField("BACS name", max_length=18, blank=True)
    bacs_sort_code = models.CharField(
        "sort code paid from",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "Six digits, no dashes: 309950.")],
    )
    bacs_account_number = models.CharField(
        "account number paid from",
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", "Eight digits: 10203040.")],
    )
    bacs_account_name = models.CharField("account name paid from", max_length=18, blank=True)
    bank_accounts = models.TextField(
        blank=True,
        validators=[bank_account_lines],
        help_text="The council's bank accounts, one `sort code account number` a line: a "
        "statement for any other account is refused.",
    )
    # The finance system: the headings of its general-ledger export (budgets.gl).
    gl_columns = models.JSONField(
        "GL export headings",
        default=dict,
        blank=True,
        validators=[gl_headings],
        help_text="Only where the finance system's GL export heads its columns otherwise than "
        "Cost code, Date, Amount, Reference and Description (or their usual names): "
        '{"cost_code": "Cost Centre", "amount": "Net"}.',
    )

    class Meta:
        db_table = "fundmgr_council"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["host"], condition=~Q(host=""), name="council_host_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from fundmgr import councils

        self.host = self.host.strip().lower()
        super().save(*args, **kwargs)
        councils.refresh()

    def delete(self, *args, **kwargs):
        from fundmgr import councils

        deleted = super().delete(*args, **kwargs)
        councils.refresh()
        return deleted

    def clean(self):
        from fundmgr import councils

        if self.slug and self.slug in councils.reserved_slugs():
            raise ValidationError(
                {
                    "slug": f"“{self.slug}” is a part of the service's own addresses "
                    f"(/{self.slug}/): choose another, such as the council's name."
                }
            )

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]


class CouncilQuery(sql.Query):
    """A query on a council-owned table that keeps to the council in scope: the filter is added
    as the SQL is made, not when the queryset is built, so a queryset made at import time (a
    form's choices, an API view's `queryset`) is scoped by the request that runs it."""

    council_scoped = False

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        if self.council_scoped or self.combinator or not self._from_own_table():
            return super().get_compiler(using, connection, elide_empty)
        from fundmgr import councils

        scope = councils.scope()
        if scope == councils.SERVICE:
            return super().get_compiler(using, connection, elide_empty)
        query = self.clone()
        query.council_scoped = True
        if isinstance(scope, int):
            query.add_q(Q(council_id=scope))
        else:
            query.add_q(Q(pk__in=[]))
        return query.get_compiler(using, connection, elide_empty)

    def _from_own_table(self) -> bool:
        """False for the inner query Django makes of an `exclude()` across a relation, which it
        starts from the related table (its outer query keeps to the council)."""
        if not self.alias_map:
            return True
        alias, first = next(iter(self.alias_map.items()))
        return first.table_name == self.model._meta.db_table and self.alias_refcount[alias] > 0


class CouncilQuerySet(models.QuerySet):
    """Rows of the council in scope only (fundmgr/councils.py); `bulk_create` fills each row's
    council as `save` does."""

    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query or CouncilQuery(model), using, hints)

    def update(self, **kwargs):
        return super(CouncilQuerySet, self._scoped()).update(**kwargs)

    def _raw_delete(self, using):
        # A delete that needs no collecting (no signals, no cascades) is one DELETE, made by a
        # query of Django's own class, which would not add the council: `all().delete()` working
        # for one council emptied every council's table (where no row-level security holds).
        return super(CouncilQuerySet, self._scoped())._raw_delete(using)

    def _scoped(self):
        from fundmgr import councils

        scope = councils.scope()
        if scope == councils.SERVICE:
            return self
        return self.filter(council_id=scope) if isinstance(scope, int) else self.none()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            fill_council(obj)
        return super().bulk_create(objs, *args, **kwargs)


class CouncilOwned(models.Model):
    """A row that belongs to one council. `council_from` names the foreign key whose row's
    council this row takes (`"application"`, `"fund_year"`); without one, the council in scope,
    or the only council when the service has one."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="+", editable=False)
    council_from: str | None = None

    objects = CouncilQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        fill_council(self)
        super().save(*args, **kwargs)

    def _perform_unique_checks(self, unique_checks):
        """A form's check that a value is not taken asks across the service: a fund code or a
        reference is unique on the whole service (it names one thing in BACS files, ledger keys
        and the service-wide 360Giving file), and another council's row, which the council in
        scope cannot see, would otherwise pass the form and fail in the database."""
        from fundmgr import councils

        with councils.acting_for(councils.SERVICE):
            return super()._perform_unique_checks(unique_checks)


class NoCouncil(Exception):
    pass


def fill_council(obj) -> None:
    """Set `obj.council_id` (when unset): the council in scope; service-wide, that of the row
    `council_from` names, else the service's only council."""
    if obj.council_id is not None:
        return
    from fundmgr import councils

    if (council_id := councils.current_id()) is not None:
        # Working for a council (a request, a task): every row it makes is that council's (on
        # PostgreSQL its policies refuse any other), and no parent row need be read to say so.
        obj.council_id = council_id
        return
    if obj.council_from:
        parent = obj
        for name in obj.council_from.split("."):
            parent = getattr(parent, name)
        obj.council_id = parent.council_id if not isinstance(parent, Council) else parent.pk
        return
    only = list(Council.objects.values_list("pk", flat=True)[:2])
    if len(only) != 1:
        raise NoCouncil(
            f"A {type(obj).__name__} belongs to a council, and no council is in scope: "
            "work inside fundmgr.councils.acting_for(council)."
        )
    obj.council_id = only[0]


class User(AbstractUser):
    """A person who signs in. Roles are Django groups (see fundmgr.roles)."""

    class Meta:
        db_table = "fundmgr_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class StaffRole(CouncilOwned):
    """A person's role at one council: staff work for councils, with roles per council (a
    finance officer of a shared service may serve two). Applicants are people of the whole
    service and hold their role as a group (fundmgr.roles)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="council_roles")
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=40)

    class Meta:
        ordering = ["council", "user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "council", "role"], name="staff_role_once_a_council"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.role} at {self.council}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from fundmgr.roles import STAFF_ROLE_NAMES

        if self.role not in STAFF_ROLE_NAMES:
            raise ValidationError({"role": f"Choose one of: {', '.join(STAFF_ROLE_NAMES)}."})


class Notification(models.Model):
    """The outbox of e-mails (and text messages): rows are written in the same transaction as
    the step they tell of, and sent by a background task once it commits (or by `manage.py
    send_notifications`, which also retries failures). A sender claims a row for a while
    (`claimed_until`) before sending it, so two workers never send the same message."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "Text message"

    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    to = models.CharField(max_length=254, help_text="An e-mail address, or a mobile number.")
    kind = models.CharField(
        max_length=40,
        blank=True,
        help_text="What kind of message: picks its GOV.UK Notify template (blank: the default).",
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    reference = models.CharField(max_length=40, blank=True, db_index=True)
    key = models.CharField(
        max_length=120,
        blank=True,
        help_text="Set for a message that must go once only (a reminder): "
        "'offer-lapsing-7:CCIF26-000123'. One row per address and key.",
    )
    attachment = models.ForeignKey(
        "Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A document sent with the e-mail, such as the copy of the answers.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A sender is sending it: nobody else tries until then."
    )
    provider_id = models.CharField(
        max_length=100, blank=True, help_text="The mail service's id for it (GOV.UK Notify's)."
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["sent_at", "id"], name="notification_unsent_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["to", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"To {self.to}: {self.subject}"


def document_path(document: "Document", filename: str) -> str:
    return f"documents/{document.kind}/{filename}"


class Document(models.Model):
    """A document the council produced: an offer letter, a decision notice, a statement, a panel
    pack, a remittance advice... The exact bytes are kept with their SHA-256 and never changed:
    producing the same kind for the same thing again adds a version.

    It lives in the shared kernel because every app produces documents and budgets may import
    no other app: it knows what it documents only by strings, `reference` (the grant,
    statement or meeting reference a person would quote) and `key` (exactly which record, such
    as `decision:12`), as budgets knows a grant only by its reference. Written only by
    `fundmgr.documents.document_store`."""

    kind = models.CharField(max_length=30, help_text="offer, notice, statement, panel-pack...")
    reference = models.CharField(max_length=60, help_text="CCIF26-000123, CCIF/2026/cllr.shaw")
    key = models.CharField(max_length=100, help_text="Which record: decision:12, meeting:3.")
    description = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=document_path, max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank: produced by the system as a step completed.",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "version"], name="document_one_row_per_version"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="document_version"),
        ]
        indexes = [
            models.Index(fields=["reference", "kind"], name="document_reference_kind"),
            models.Index(fields=["kind", "key", "-version"], name="document_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.description} (version {self.version})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("A document is a record: produce a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("A document is a record: it is never deleted.")

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class WorkerBeat(models.Model):
    """When the background worker last showed it is alive: /healthz asks for a heartbeat task
    (`requested_at`) and the worker answers it (`seen_at`). One row per queue."""

    queue = models.CharField(max_length=40, unique=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Worker of {self.queue}: seen {self.seen_at}"


class ImportRun(CouncilOwned):
    """One run of an import (fundmgr.imports): what file, checked or imported, what it did row
    by row (`report`, the CSV the page offers). A clean check keeps the file (`data`) so the
    administrator can import it without uploading it again; it is let go once imported."""

    kind = models.CharField(max_length=40)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField()
    refused = models.BooleanField()
    counts = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    report = models.TextField(blank=True)
    data = models.BinaryField(null=True, blank=True, editable=False)
    imported_as = models.BigIntegerField(
        null=True, blank=True, help_text="The run that imported this check's file."
    )
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{'Check' if self.dry_run else 'Import'} of {self.kind} from {self.filename}"
