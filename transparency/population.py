"""Import ward population figures (the census, mid-year estimates) from CSV: all or nothing.

The file has a heading line naming the columns gss_code, population and year (in any order,
any case) and a line per ward and year. Every line is checked before anything is written: one
bad line and nothing is imported, and the message names each bad line. A figure already held for
a ward and year is replaced; importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from budgets.models import Ward
from fundmgr.errors import InvalidInput
from fundmgr.models import User
from transparency.models import WardPopulation

COLUMNS = ("gss_code", "population", "year")
MOST_PROBLEMS_SHOWN = 20
EARLIEST, LATEST = 1801, 2100


@dataclass
class ImportSummary:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    wards: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged

    def __str__(self) -> str:
        return (
            f"{self.total} figure(s) for {len(self.wards)} ward(s): {self.added} added, "
            f"{self.changed} changed, {self.unchanged} unchanged."
        )


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8' and try "
            "again."
        ) from None


def parse(data: bytes | str) -> list[tuple[int, Ward, int, int]]:
    """(line number, ward, year, population) for each line, or InvalidInput naming every bad
    line (the first 20 of them)."""
    reader = csv.reader(io.StringIO(_text(data)))
    try:
        heading = next(reader)
    except StopIteration:
        raise InvalidInput(
            "The file is empty: it needs the columns gss_code, population and year."
        ) from None
    except csv.Error as error:
        raise InvalidInput(f"Line 1 is not CSV: {error}.") from None
    names = [h.strip().lower() for h in heading]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InvalidInput(
            "Line 1 must name the columns gss_code, population and year; it names "
            f"{', '.join(h.strip() for h in heading if h.strip()) or 'nothing'} "
            f"(missing: {', '.join(missing)})."
        )
    at = {c: names.index(c) for c in COLUMNS}
    wards = {w.gss_code: w for w in Ward.objects.all()}
    problems: list[str] = []
    found: list[tuple[int, Ward, int, int]] = []
    seen: dict[tuple[str, int], int] = {}
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue  # a blank line, as spreadsheets leave at the end
            if len(cells) < len(names):
                problems.append(
                    f"Line {line} has {len(cells)} value(s); the heading names {len(names)}."
                )
                continue
            gss = cells[at["gss_code"]].strip().upper()
            text_pop = cells[at["population"]].strip().replace(",", "")
            text_year = cells[at["year"]].strip()
            wrong = []
            ward = wards.get(gss)
            if ward is None:
                wrong.append(f"'{gss or '(blank)'}' is not the GSS code of any ward here")
            if not text_pop.isdigit() or int(text_pop) <= 0:
                wrong.append(f"the population '{text_pop}' is not a whole number above 0")
            if not (text_year.isdigit() and EARLIEST <= int(text_year) <= LATEST):
                wrong.append(f"the year '{text_year}' is not a year such as 2021")
            if wrong:
                problems.append(f"Line {line}: {'; '.join(wrong)}.")
                continue
            key = (gss, int(text_year))
            if key in seen:
                problems.append(
                    f"Line {line}: {gss} in {text_year} is on line {seen[key]} already."
                )
                continue
            seen[key] = line
            found.append((line, ward, int(text_year), int(text_pop)))
    except csv.Error as error:
        problems.append(f"Line {reader.line_num} is not CSV: {error}.")
    if problems:
        shown = problems[:MOST_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise InvalidInput(
            "Nothing was imported. "
            + " ".join(shown)
            + (f" And {more} more line(s) with problems." if more else "")
        )
    if not found:
        raise InvalidInput("The file has a heading but no figures: nothing was imported.")
    return found


@transaction.atomic
def ward_population_import(*, data: bytes | str, by: User | None = None) -> ImportSummary:
    """Import every figure in the file, or none (InvalidInput says which lines are wrong)."""
    figures = parse(data)
    held = {
        (p.ward_id, p.year): p
        for p in WardPopulation.objects.select_for_update().filter(
            ward__in={ward for _, ward, _, _ in figures}
        )
    }
    summary = ImportSummary()
    loaded_by = by if getattr(by, "pk", None) else None
    for _, ward, year, population in figures:
        summary.wards.add(ward.gss_code)
        existing = held.get((ward.pk, year))
        if existing is None:
            WardPopulation.objects.create(
                ward=ward, year=year, population=population, loaded_by=loaded_by
            )
            summary.added += 1
        elif existing.population != population:
            existing.population = population
            existing.loaded_by = loaded_by
            existing.save(update_fields=["population", "loaded_by", "loaded_at"])
            summary.changed += 1
        else:
            summary.unchanged += 1
    return summary
