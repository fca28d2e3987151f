"""What every budgets model shares: money fields, and rows that can only be added."""

from django.db import models

from fundmgr.models import CouncilQuerySet

MONEY = {"max_digits": 12, "decimal_places": 2}


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(**MONEY, **kwargs)


class AppendOnlyQuerySet(CouncilQuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: post a reversal instead.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: post a reversal instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only: post a reversal instead.")
