"""The dashboards' summaries, kept as applications change rather than recounted per request.

Each application's `Contribution` row records what it adds: one to the count of its state (and
its money) in `StateCount`, and its times from first submission to first decision and to first
payment to a band of `TimeBand`. All three are keyed by fund year and the application's set of
wards, so every filter the dashboards offer (year, fund, a councillor's wards) is a sum of a few
rows whose number grows with funds, years and wards, never with the number of bids.

When an application changes, its new contribution is worked out, and the difference from the
old one is added to the summary rows in one statement (`INSERT ... ON CONFLICT DO UPDATE`), in
the same transaction as the change:
- `post_save` of an application (a step saves it; so does a draft's edit, and its creation);
- `m2m_changed` of its wards;
- `applications.signals.stepped`: the time of its first submission, decision and payment;
- `post_save` of a decision (`decisions.Decision`, named by label so nothing is imported): the
  award is written to the application after its approve step, by an update that sends no
  signal, and before the decision row is saved.

Medians cannot be kept this way (one new time moves the middle anywhere), so the dashboards show
counts per band of days and the mean. `rebuild()` counts everything again from the applications
and the TransitionLog (`manage.py rebuild_summaries`); `differences()` compares the kept rows
with that recount (`manage.py check_summaries`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min, Q

from applications.models import REGISTER_STATES, Application, TransitionLog
from budgets.models import Ward
from transparency.models import Contribution, GroupShare, StateCount, TimeBand

_Application, _TransitionLog, _Ward = Application, TransitionLog, Ward
_Contribution, _StateCount, _TimeBand, _GroupShare = Contribution, StateCount, TimeBand, GroupShare
PUBLISHED = REGISTER_STATES  # as transparency.published, which imports this module

DAY_US = 86_400 * 1_000_000
DECISION, PAYMENT = "decision", "payment"
BANDS = [
    (14, "Within 2 weeks"),
    (28, "2 to 4 weeks"),
    (56, "4 to 8 weeks"),
    (91, "8 to 13 weeks"),
    (None, "More than 13 weeks"),
]


def band_of(days: float) -> str:
    for limit, label in BANDS:
        if limit is None or days <= limit:
            return label
    return BANDS[-1][1]


def pence(value: Decimal | None) -> int:
    return int(value * 100) if value is not None else 0


def micros(delta: datetime.timedelta) -> int:
    return delta // datetime.timedelta(microseconds=1)


def wards_key(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(set(ids)))


def wards_of(key: str) -> set[int]:
    return {int(i) for i in key.split(",")} if key else set()


def split(pence: int, wards: Iterable[int], order: dict[int, int]) -> dict[int, int]:
    """`pence` in equal shares among `wards`, the odd pennies to the first in name order
    (`order`: each ward's place when the wards are in name order)."""
    ranked = sorted(wards, key=lambda w: (order.get(w, len(order)), w))
    if not ranked:
        return {}
    whole, odd = divmod(pence, len(ranked))
    return {w: whole + (1 if place < odd else 0) for place, w in enumerate(ranked)}


def name_order(ids: Iterable[int] | None = None, apps=None) -> dict[int, int]:
    """Each ward's place when the wards (these, or all) are in name order: one query."""
    Ward = apps.get_model("budgets", "Ward") if apps else _Ward
    wards = Ward.objects.all() if ids is None else Ward.objects.filter(pk__in=list(ids))
    found = wards.order_by("name", "pk").values_list("pk", flat=True)
    return {pk: place for place, pk in enumerate(found)}


def holding(wards: Iterable[int], field: str = "wards") -> Q:
    """Rows whose set of wards holds any of `wards` (ids comma-joined, in order)."""
    q = Q(pk__in=[])
    for w in wards:
        q |= (
            Q(**{field: str(w)})
            | Q(**{f"{field}__startswith": f"{w},"})
            | Q(**{f"{field}__endswith": f",{w}"})
            | Q(**{f"{field}__contains": f",{w},"})
        )
    return q


@dataclass(frozen=True)
class Facts:
    fund_year_id: int
    wards: str
    status: str
    requested: int
    awarded: int
    submitted_at: datetime.datetime | None
    to_decision: int | None
    to_payment: int | None
    organisation_id: int | None = None

    @classmethod
    def of(cls, row: Contribution | None) -> Facts | None:
        if row is None:
            return None
        return cls(
            row.fund_year_id,
            row.wards,
            row.status,
            row.requested,
            row.awarded,
            row.submitted_at,
            row.to_decision,
            row.to_payment,
            row.organisation_id,
        )

    def states(self) -> dict[tuple, tuple[int, int, int]]:
        return {(self.fund_year_id, self.wards, self.status): (1, self.requested, self.awarded)}

    def funded(self) -> tuple | None:
        """What the groups' shares of wards depend on: None when it is no published grant."""
        if self.status not in PUBLISHED or self.awarded <= 0 or self.organisation_id is None:
            return None
        if not self.wards:
            return None
        return (self.organisation_id, self.wards, self.awarded)

    def shared_wards(self) -> set[int]:
        """The wards whose name order says who gets the odd pennies: none for one ward."""
        funded = self.funded()
        ids = wards_of(self.wards) if funded else set()
        return ids if len(ids) > 1 else set()

    def groups(self, order: dict[int, int]) -> dict[tuple, tuple[int, int]]:
        funded = self.funded()
        if funded is None:
            return {}
        shares = split(self.awarded, wards_of(self.wards), order)
        return {(ward, self.organisation_id): (1, share) for ward, share in shares.items()}

    def times(self) -> dict[tuple, tuple[int, int]]:
        found = {}
        for measure, value in ((DECISION, self.to_decision), (PAYMENT, self.to_payment)):
            if value is not None:
                band = band_of(value / DAY_US)
                found[(self.fund_year_id, self.wards, measure, band)] = (1, value)
        return found


def _diff(old: dict, new: dict) -> dict:
    deltas: dict = defaultdict(lambda: None)
    for sign, side in ((-1, old), (1, new)):
        for key, values in side.items():
            now = deltas[key] or tuple(0 for _ in values)
            deltas[key] = tuple(a + sign * b for a, b in zip(now, values, strict=True))
    return {k: v for k, v in deltas.items() if any(v)}


def _upsert(model, keys: list[str], sums: list[str], deltas: dict) -> None:
    """Add `deltas` ({key tuple: sums tuple}) to `model`'s rows, creating those missing: one
    statement, rows in key order (so two transactions never wait on each other in a circle)."""
    if not deltas:
        return
    sql, params = _upsert_sql(model, keys, sums, deltas)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _upsert_all(parts: list[tuple], then: tuple[str, list] | None = None) -> None:
    """`_upsert` of each (model, keys, sums, deltas): on PostgreSQL in one statement (each but
    the last a data-modifying WITH), so a step costs one round trip whatever it moves. `then`:
    one more statement (SQL and parameters) to end that statement with, on PostgreSQL only."""
    parts = [part for part in parts if part[3]]
    built = [_upsert_sql(*part) for part in parts] + ([then] if then else [])
    if len(built) <= 1 or connection.vendor != "postgresql":
        for part in parts:
            _upsert(*part)
        if then:
            with connection.cursor() as cursor:
                cursor.execute(*then)
        return
    head = ", ".join(f"u{i} AS ({sql})" for i, (sql, _) in enumerate(built[:-1]))
    params = [p for _, ps in built for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {head} {built[-1][0]}", params)


def _upsert_sql(model, keys: list[str], sums: list[str], deltas: dict) -> tuple[str, list]:
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = [*keys, *sums, "council_id"]
    # Each row's council is that of the row its first key names (a fund year, a ward).
    parent = model._meta.get_field(keys[0].removesuffix("_id")).related_model
    council = f"(SELECT council_id FROM {q(parent._meta.db_table)} WHERE id = %s)"
    row = "(" + ", ".join(["%s"] * (len(columns) - 1) + [council]) + ")"
    values = ", ".join([row] * len(deltas))
    params = [v for key in sorted(deltas) for v in (*key, *deltas[key], key[0])]
    sets = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in sums)
    sql = (
        f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(q(c) for c in keys)}) DO UPDATE SET {sets}"
    )
    return sql, params


STATE_KEYS, STATE_SUMS = ["fund_year_id", "wards", "status"], ["n", "requested", "awarded"]
TIME_KEYS, TIME_SUMS = ["fund_year_id", "wards", "measure", "band"], ["n", "total"]
GROUP_KEYS, GROUP_SUMS = ["ward_id", "organisation_id"], ["n", "pence"]


def _group_deltas(old: Facts | None, new: Facts | None) -> dict:
    """How the groups' shares move: nothing (and no query) unless the published grant, its
    group, wards or award changed; the wards' name order read only for a grant of several."""
    if (old.funded() if old else None) == (new.funded() if new else None):
        return {}
    shared = (old.shared_wards() if old else set()) | (new.shared_wards() if new else set())
    order = name_order(shared) if shared else {}
    return _diff(old.groups(order) if old else {}, new.groups(order) if new else {})


def _move(old: Facts | None, new: Facts | None, then: tuple[str, list] | None = None) -> None:
    """Take `old` out of the summaries and put `new` in (then `then`, in the same statement on
    PostgreSQL)."""
    _upsert_all(
        [
            (
                StateCount,
                STATE_KEYS,
                STATE_SUMS,
                _diff(old.states() if old else {}, new.states() if new else {}),
            ),
            (
                TimeBand,
                TIME_KEYS,
                TIME_SUMS,
                _diff(old.times() if old else {}, new.times() if new else {}),
            ),
            (GroupShare, GROUP_KEYS, GROUP_SUMS, _group_deltas(old, new)),
        ],
        then,
    )


# A contribution's facts, in Facts' order: on PostgreSQL read and written by their own SQL, so
# that a step's summaries cost two statements and no query built by the ORM.
COLUMNS = [f.name for f in fields(Facts)]


def _kept(application_id: int) -> Facts | None:
    """The application's contribution as last counted (None: none yet)."""
    if connection.vendor != "postgresql":  # SQLite's own cursor gives times without their zone
        return Facts.of(Contribution.objects.filter(pk=application_id).first())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {Contribution._meta.db_table} "
            "WHERE application_id = %s",
            [application_id],
        )
        row = cursor.fetchone()
    return Facts(*row) if row else None


def _store(application_id: int, old: Facts | None, new: Facts) -> Contribution:
    row = Contribution(application_id=application_id, **new.__dict__)
    if old == new:
        return row
    if old is None or connection.vendor != "postgresql":
        _move(old, new)
        row.save(force_insert=old is None, force_update=old is not None)
        return row
    sets = ", ".join(f"{c} = %s" for c in COLUMNS)
    _move(
        old,
        new,
        then=(
            f"UPDATE {Contribution._meta.db_table} SET {sets} WHERE application_id = %s",
            [*(getattr(new, c) for c in COLUMNS), application_id],
        ),
    )
    return row


# --- the receivers --------------------------------------------------------------------------

STASH = "_transparency_contribution"
STEP_LOG = "_step_log"  # applications.signals: the log row of the step an application is saved by


def application_saved(sender, instance: Application, created: bool, raw: bool = False, **kw):
    """A saved application: its state, fund year or money may have changed."""
    if raw:
        return
    old = None if created else _kept(instance.pk)
    new = Facts(
        fund_year_id=instance.fund_year_id,
        wards=old.wards if old else "",
        status=instance.status,
        requested=pence(instance.amount_requested),
        awarded=pence(instance.amount_awarded),
        submitted_at=old.submitted_at if old else None,
        to_decision=old.to_decision if old else None,
        to_payment=old.to_payment if old else None,
        organisation_id=instance.organisation_id,
    )
    if (log := getattr(instance, STEP_LOG, None)) is not None:
        new = _timed(new, log)  # the step saved: counted and timed in one statement
    setattr(instance, STASH, _store(instance.pk, old, new))


def application_deleted(sender, instance: Application, **kw):
    """An application deleted (before its contribution row goes with it): take it out."""
    old = Facts.of(Contribution.objects.filter(pk=instance.pk).first())
    if old is not None:
        _move(old, None)


def resync(application_ids: Iterable[int]) -> None:
    """Count these applications again from their rows (not their logs: times stay)."""
    ids = sorted(set(application_ids))
    if not ids:
        return
    rows = {r.pk: r for r in Contribution.objects.filter(pk__in=ids)}
    wards: dict[int, list[int]] = defaultdict(list)
    for app_id, ward_id in Application.wards.through.objects.filter(
        application_id__in=ids
    ).values_list("application_id", "ward_id"):
        wards[app_id].append(ward_id)
    for app in Application.objects.filter(pk__in=ids).values(
        "pk", "fund_year_id", "status", "amount_requested", "amount_awarded", "organisation_id"
    ):
        old = Facts.of(rows.get(app["pk"]))
        new = Facts(
            fund_year_id=app["fund_year_id"],
            wards=wards_key(wards[app["pk"]]),
            status=app["status"],
            requested=pence(app["amount_requested"]),
            awarded=pence(app["amount_awarded"]),
            submitted_at=old.submitted_at if old else None,
            to_decision=old.to_decision if old else None,
            to_payment=old.to_payment if old else None,
            organisation_id=app["organisation_id"],
        )
        _store(app["pk"], old, new)


def wards_changed(sender, instance, action: str, reverse: bool, pk_set, **kw):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        resync([instance.pk])
    elif pk_set:
        resync(pk_set)
    else:  # a ward's applications cleared: which they were is no longer known; count all
        rebuild()


def decision_saved(sender, instance, created: bool, raw: bool = False, **kw):
    """A decision: its award, if the application's row was given it after its step was saved
    (nothing to do, and no query, when the step's own save already counted it)."""
    if raw:
        return
    app = instance._state.fields_cache.get("application")
    counted = getattr(app, STASH, None)
    if counted is not None and counted.awarded == pence(instance.amount_awarded):
        return
    resync([instance.application_id])


def _timed(facts: Facts, log: TransitionLog) -> Facts:
    """`facts` with the step `log` timed: the first submission starts the clock; the first
    decision and the first payment are timed from it."""
    if log.transition == "submit" and facts.submitted_at is None:
        return replace(facts, submitted_at=log.at)
    if facts.submitted_at is not None:
        since = micros(log.at - facts.submitted_at)
        if log.transition in ("approve", "reject") and facts.to_decision is None:
            return replace(facts, to_decision=since)
        if log.transition == "pay" and facts.to_payment is None:
            return replace(facts, to_payment=since)
    return facts


def stepped(sender, application: Application, log: TransitionLog, **kw):
    """A step: timed (`_timed`), unless the step's own save has timed it already (it carries
    its log as it is saved: applications.signals), as it does: then nothing is written."""
    row = getattr(application, STASH, None)
    old = Facts.of(row) if row is not None else _kept(application.pk)
    if old is None:
        return
    setattr(application, STASH, _store(application.pk, old, _timed(old, log)))


# --- counting everything again --------------------------------------------------------------


def recount(apps=None) -> dict[int, Facts]:
    """Every application's contribution, from the applications and their TransitionLog (the
    models of `apps`, a migration's registry, if given)."""
    Application = apps.get_model("applications", "Application") if apps else _Application
    TransitionLog = apps.get_model("applications", "TransitionLog") if apps else _TransitionLog
    wards: dict[int, list[int]] = defaultdict(list)
    for app_id, ward_id in Application.wards.through.objects.values_list(
        "application_id", "ward_id"
    ):
        wards[app_id].append(ward_id)
    firsts: dict[int, dict[str, datetime.datetime]] = defaultdict(dict)
    for app_id, step, at in (
        TransitionLog.objects.filter(transition__in=["submit", "approve", "reject", "pay"])
        .order_by()
        .values("application_id", "transition")
        .annotate(first=Min("at"))
        .values_list("application_id", "transition", "first")
    ):
        firsts[app_id][step] = at
    found = {}
    for app in Application.objects.values(
        "pk", "fund_year_id", "status", "amount_requested", "amount_awarded", "organisation_id"
    ).iterator(chunk_size=5000):
        steps = firsts.get(app["pk"], {})
        submitted = steps.get("submit")
        decided = min((steps[s] for s in ("approve", "reject") if s in steps), default=None)
        paid = steps.get("pay")
        found[app["pk"]] = Facts(
            fund_year_id=app["fund_year_id"],
            wards=wards_key(wards[app["pk"]]),
            status=app["status"],
            requested=pence(app["amount_requested"]),
            awarded=pence(app["amount_awarded"]),
            submitted_at=submitted,
            to_decision=micros(decided - submitted) if submitted and decided else None,
            to_payment=micros(paid - submitted) if submitted and paid else None,
            organisation_id=app["organisation_id"],
        )
    return found


def _add(into: dict, part: dict) -> None:
    for key, values in part.items():
        now = into.get(key, tuple(0 for _ in values))
        into[key] = tuple(a + b for a, b in zip(now, values, strict=True))


def _totals(facts: Iterable[Facts]) -> tuple[dict, dict]:
    states: dict = {}
    times: dict = {}
    for one in facts:
        _add(states, one.states())
        _add(times, one.times())
    return states, times


def _groups(facts: Iterable[Facts], order: dict[int, int]) -> dict:
    groups: dict = {}
    for one in facts:
        _add(groups, one.groups(order))
    return {k: v for k, v in groups.items() if any(v)}


def _model(apps, name: str, default):
    """The model `name` of the migration's registry `apps` (None if it has none yet)."""
    if apps is None:
        return default
    try:
        return apps.get_model("transparency", name)
    except LookupError:
        return None


@transaction.atomic
def rebuild(apps=None) -> int:
    """Throw the summaries away and count them again; the number of applications counted.
    Outside a migration the spend and clawback summaries too (`money_summaries.rebuild`)."""
    if apps is None:
        from transparency import money_summaries

        money_summaries.rebuild()
    facts = recount(apps)
    Contribution = _model(apps, "Contribution", _Contribution)
    StateCount = _model(apps, "StateCount", _StateCount)
    TimeBand = _model(apps, "TimeBand", _TimeBand)
    GroupShare = _model(apps, "GroupShare", _GroupShare)
    fields = {f.attname for f in Contribution._meta.concrete_fields}
    Contribution.objects.all().delete()
    StateCount.objects.all().delete()
    TimeBand.objects.all().delete()
    Contribution.objects.bulk_create(
        (
            Contribution(application_id=pk, **{k: v for k, v in f.__dict__.items() if k in fields})
            for pk, f in facts.items()
        ),
        batch_size=2000,
    )
    states, times = _totals(facts.values())
    StateCount.objects.bulk_create(
        StateCount(**dict(zip(STATE_KEYS + STATE_SUMS, (*k, *v), strict=True)))
        for k, v in states.items()
    )
    TimeBand.objects.bulk_create(
        TimeBand(**dict(zip(TIME_KEYS + TIME_SUMS, (*k, *v), strict=True)))
        for k, v in times.items()
    )
    if GroupShare is not None:
        _regroup(GroupShare, facts.values(), name_order(apps=apps))
    return len(facts)


def _regroup(GroupShare, facts: Iterable[Facts], order: dict[int, int]) -> None:
    GroupShare.objects.all().delete()
    GroupShare.objects.bulk_create(
        (
            GroupShare(**dict(zip(GROUP_KEYS + GROUP_SUMS, (*k, *v), strict=True)))
            for k, v in sorted(_groups(facts, order).items())
        ),
        batch_size=5000,
    )


@transaction.atomic
def regroup() -> None:
    """The groups' shares counted again from the kept contributions: when a ward is renamed,
    the odd pennies of grants shared with it may fall to another ward."""
    published = Contribution.objects.filter(status__in=PUBLISHED, awarded__gt=0)
    _regroup(GroupShare, (Facts.of(row) for row in published), name_order())  # type: ignore[misc]


def ward_saving(sender, instance: Ward, raw: bool = False, **kw):
    """Before a ward is saved: its name as it was, to see whether the order of names moves."""
    if raw or instance.pk is None:
        return
    instance._transparency_name = (  # type: ignore[attr-defined]
        Ward.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


def ward_saved(sender, instance: Ward, created: bool, raw: bool = False, **kw):
    if raw or created:
        return
    if getattr(instance, "_transparency_name", instance.name) != instance.name:
        regroup()


def differences() -> list[str]:
    """How the kept summaries differ from a recount: nothing, when they are right."""
    found = []
    facts = recount()
    kept = {row.pk: Facts.of(row) for row in Contribution.objects.all()}
    for pk in sorted(set(facts) | set(kept)):
        if facts.get(pk) != kept.get(pk):
            found.append(f"application {pk}: kept {kept.get(pk)}, counted {facts.get(pk)}")
    states, times = _totals(facts.values())
    groups = _groups(facts.values(), name_order())
    for model, keys, sums, counted in (
        (StateCount, STATE_KEYS, STATE_SUMS, states),
        (TimeBand, TIME_KEYS, TIME_SUMS, times),
        (GroupShare, GROUP_KEYS, GROUP_SUMS, groups),
    ):
        rows = {
            tuple(r[: -len(sums)]): tuple(r[-len(sums) :])
            for r in model.objects.values_list(*keys, *sums)
            if any(r[-len(sums) :])
        }
        for key in sorted(set(rows) | set(counted)):
            if rows.get(key) != counted.get(key):
                found.append(
                    f"{model.__name__} {key}: kept {rows.get(key)}, counted {counted.get(key)}"
                )
    return found
