from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in. Roles are Django groups (see fundmgr.roles)."""

    class Meta:
        db_table = "fundmgr_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


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
