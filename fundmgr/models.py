from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in. Roles are Django groups (see fundmgr.roles)."""

    class Meta:
        db_table = "fundmgr_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Notification(models.Model):
    """The e-mail outbox: rows are written in the same transaction as the step they tell of, and
    sent after it commits (or by `manage.py send_notifications`, which retries failures)."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    reference = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["sent_at", "id"], name="notification_unsent_idx")]

    def __str__(self) -> str:
        return f"To {self.to}: {self.subject}"
