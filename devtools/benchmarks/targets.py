"""Every benchmark figure beside its target, with MET or MISSED, in one form.

    targets = Targets(out)
    targets.at_most("/grants/ median", 41.2, 150, "ms")
    targets.at_least("postings a second", 640, 600, "/s")
    targets.summary()   # "Targets: 2 of 2 MET" and returns whether all were met

A figure is printed as soon as it is measured, so a long run shows its progress; `summary()`
prints the count at the end and the list of those missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _figure(value: float, unit: str) -> str:
    if isinstance(value, int) or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".rstrip() if unit not in {"x", "/s"} else f"{text}{unit}"


@dataclass
class Targets:
    out: Callable[[str], object] = print
    checked: list[tuple[str, bool]] = field(default_factory=list)

    def _say(self, label: str, value: float, sign: str, target: float, unit: str, met: bool):
        verdict = "MET" if met else "MISSED"
        self.out(
            f"  {label}: {_figure(value, unit)} (target {sign} {_figure(target, unit)}): {verdict}"
        )
        self.checked.append((label, met))
        return met

    def at_most(self, label: str, value: float, target: float, unit: str = "") -> bool:
        """A figure that must not exceed its target (a time, a size, a ratio of times)."""
        return self._say(label, value, "≤", target, unit, value <= target)

    def at_least(self, label: str, value: float, target: float, unit: str = "") -> bool:
        """A figure that must reach its target (a rate)."""
        return self._say(label, value, "≥", target, unit, value >= target)

    def exactly(self, label: str, value: float, target: float, unit: str = "") -> bool:
        """A count that must be exactly its target (errors: 0; overspends: 0)."""
        return self._say(label, value, "=", target, unit, value == target)

    @property
    def all_met(self) -> bool:
        return all(met for _, met in self.checked)

    def summary(self) -> bool:
        met = sum(1 for _, ok in self.checked if ok)
        self.out(f"Targets: {met} of {len(self.checked)} MET")
        for label, ok in self.checked:
            if not ok:
                self.out(f"  MISSED: {label}")
        return self.all_met
