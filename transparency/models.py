"""Ward population figures, for money per head on the ward profiles.

A small model of its own rather than fields on `budgets.Ward`: `budgets` is the money core, and a
ward has a population figure per year (census 2021, mid-year estimates), not one.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import Ward


class WardPopulation(models.Model):
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="populations")
    year = models.PositiveSmallIntegerField(help_text="The year the figure is for: 2021.")
    population = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ward__name", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["ward", "year"], name="one_population_per_ward_year"),
            models.CheckConstraint(condition=Q(population__gt=0), name="population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ward}: {self.population:,} in {self.year}"
