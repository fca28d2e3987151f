"""Validation of a 360Giving package against the standard's own schema, offline, a grant at a time.

The schemas (in schema/360giving/, copied unchanged from the standard) are JSON Schema draft
2020-12. The package schema refers to the grant schema by its published 1.4.2 URL while the grant
schema's `$id` is the 1.4.3 one; nothing is ever fetched: the package's own keywords are checked
with that reference left out, and each grant against the grant schema itself. Formats are
asserted because the schema tells a date from a date-time by `format` inside `oneOf`; without
that a plain date would match both branches and fail (`rfc3339-validator` lets jsonschema check
date-times).

`PackageCheck` validates a package as it is written: each grant when it is made (`grant`), the
package's other keywords when they are (`metadata`), and what the schema says of the whole array
by what it implies, kept as it goes: at least one grant, and no two with one id (a set of ids; two
grants with distinct ids are distinct items, so `uniqueItems` holds too). Beyond the schema, the
360Giving checks a publisher's file must pass: every grant id starts with the council's 360Giving
prefix, and the publisher named in the package funds its grants. The service's file of every
council's grants: each grant id starts with the prefix of the council that funds it. Memory is
the set of ids, never the package; the 16-minute, 675 MB validation of 100,000 grants as one
document is gone.

A grant is checked property by property against the grant schema's own subschemas (its `$defs`
resolved from the whole schema), plus the grant object's keywords with its properties left out;
a property value seen before (the same fund, ward, organisation or date) is not checked again.
The errors are exactly those of validating the grant against the whole grant schema: the grant
schema is an object schema whose keywords other than `properties` (`type`, a `oneOf` of
`required` lists) never look inside a property (the tests compare the two on broken grants).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parent / "schema" / "360giving"
PACKAGE_SCHEMA = SCHEMAS / "360-giving-package-schema.json"
GRANT_SCHEMA = SCHEMAS / "360-giving-schema.json"
SHOWN = 200  # characters of an error's message (a grant's own message quotes the whole grant)
KEPT = 1000  # problems kept to show; every one is counted
REMEMBERED = 50_000  # property values remembered as checked before the memory is cleared

Path_ = tuple[Any, ...]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def grant_validator() -> jsonschema.Draft202012Validator:
    """The whole grant schema (its `$ref`s are to its own `$defs`)."""
    return jsonschema.Draft202012Validator(
        _load(GRANT_SCHEMA), format_checker=jsonschema.FormatChecker()
    )


# The keywords of the grant object itself whose verdict depends only on which properties a grant
# has, never on their values (so a set of property names found valid once is valid again).
KEYS_ONLY = {"type", "required", "oneOf", "anyOf", "allOf", "properties"}


def _keys_only(schema: dict, keywords: set[str]) -> bool:
    used = set(schema) & keywords
    if (
        not used <= KEYS_ONLY
        or schema.get("properties", {})
        or schema.get("type", "object") != ("object")
    ):
        return False
    branches = [b for k in ("oneOf", "anyOf", "allOf") for b in schema.get(k, [])]
    return all(set(b) & keywords <= {"required"} for b in branches)


@cache
def _grant_parts() -> tuple[jsonschema.Draft202012Validator, bool, dict, dict]:
    """The grant object's own keywords without its properties (and whether they look at the
    property names alone), a validator per property (evolved from the whole schema's, so
    `#/$defs/...` resolves against it), and for each property whose subschema asserts nothing
    but a JSON type, that type (checked straight: the same verdict as the keyword's)."""
    whole = grant_validator()
    keywords = set(type(whole).VALIDATORS)
    properties = whole.schema["properties"]
    shell_schema = {**whole.schema, "properties": {}}
    shell = whole.evolve(schema=shell_schema)
    validators = {name: whole.evolve(schema=sub) for name, sub in properties.items()}
    typed = {
        name: sub["type"] if isinstance(sub["type"], list) else [sub["type"]]
        for name, sub in properties.items()
        if set(sub) & keywords == {"type"}
    }
    return shell, _keys_only(shell_schema, keywords), validators, typed


@cache
def package_validator() -> jsonschema.Draft202012Validator:
    """The package's keywords but the grants' items (checked one by one)."""
    package = _load(PACKAGE_SCHEMA)
    grants = {k: v for k, v in package["properties"]["grants"].items() if k in ("type",)}
    shell = {**package, "properties": {**package["properties"], "grants": grants}}
    return jsonschema.Draft202012Validator(shell, format_checker=jsonschema.FormatChecker())


def _key(value: Any) -> Any:
    """What tells one JSON value from another: its repr (of JSON's types, equal reprs are equal
    values, and True, 1 and 1.0 differ; the same value in another key order is only a miss)."""
    return repr(value)


class GrantValidator:
    """The grant schema's errors for one grant at a time, as (path, message) pairs."""

    def __init__(self):
        self.shell, self.shell_keys_only, self.properties, self.typed = _grant_parts()
        self.seen: dict[tuple[str, Any], list[tuple[Path_, str]]] = {}
        self.valid_shapes: set[tuple[str, ...]] = set()

    def errors(self, record: Any) -> list[tuple[Path_, str]]:
        if not isinstance(record, dict):
            return [
                (tuple(e.absolute_path), e.message) for e in grant_validator().iter_errors(record)
            ]
        found: list[tuple[Path_, str]] = []
        shape = tuple(record) if self.shell_keys_only else None
        if shape is None or shape not in self.valid_shapes:
            found = [(tuple(e.absolute_path), e.message) for e in self.shell.iter_errors(record)]
            if shape is not None and not found and len(self.valid_shapes) < REMEMBERED:
                self.valid_shapes.add(shape)
        is_type = self.shell.is_type
        for name, value in record.items():
            validator = self.properties.get(name)
            if validator is None:
                continue  # the grant schema allows other properties, and says nothing of them
            types = self.typed.get(name)
            if types is not None and any(is_type(value, t) for t in types):
                continue
            key = (name, _key(value))
            known = self.seen.get(key)
            if known is None:
                if len(self.seen) >= REMEMBERED:
                    self.seen.clear()
                known = self.seen[key] = [
                    (tuple(e.absolute_path), e.message) for e in validator.iter_errors(value)
                ]
            found += [((name, *path), message) for path, message in known]
        return found


def _where(path: Iterable[Any]) -> str:
    return "/".join(str(p) for p in path)


def _shown(message: str) -> str:
    return message if len(message) <= SHOWN else message[: SHOWN - 1] + "…"


class PackageCheck:
    """A package validated as it is written: `grant(record)` for each grant in order,
    `metadata(meta)` once, then `finish()` for the list of problems ([] when valid)."""

    def __init__(self, *, prefix: str | None = None):
        from transparency import identifiers

        # A council's package: every id under its prefix. The service's package of every
        # council's grants: each id under the prefix of the council its funder names.
        self.by_funder: dict[str, str] = {}
        if prefix is None:
            council = identifiers.publisher()
            if council is None:
                self.by_funder = identifiers.prefixes_by_funder()
            prefix = identifiers.prefix(council) if council is not None else ""
        self.prefix = prefix
        # Past grants imported from a 360Giving file keep the identifiers they were published
        # with (transparency.threesixty_imports): another prefix, by design.
        from transparency.models import ImportedGrant

        self.imported = set(ImportedGrant.objects.values_list("identifier", flat=True))
        self.grants = GrantValidator()
        self.ids: dict[str, int] = {}
        self.funders: set[str] = set()
        self.publisher: str | None = None
        self.count = 0
        self.found = 0
        self.problems: list[str] = []

    def _problem(self, text: str) -> None:
        self.found += 1
        if len(self.problems) < KEPT:
            self.problems.append(text)

    def grant(self, record: Any) -> None:
        n = self.count
        self.count += 1
        grant_id = record.get("id") if isinstance(record, dict) else None
        named = f" (grant {grant_id})" if isinstance(grant_id, str) else ""
        for path, message in self.grants.errors(record):
            self._problem(f"{_where(('grants', n, *path))}{named}: {_shown(message)}")
        if not isinstance(grant_id, str):
            return
        if grant_id in self.ids:
            self._problem(
                f"grants/{n}/id{named}: the id is not unique: grants/{self.ids[grant_id]} has it"
            )
        else:
            self.ids[grant_id] = n
        funders = record.get("fundingOrganization")
        named_funders = [
            f["id"]
            for f in (funders if isinstance(funders, list) else [])
            if isinstance(f, dict) and isinstance(f.get("id"), str)
        ]
        self.funders.update(named_funders)
        expected = self.prefix
        if self.by_funder:
            own = [self.by_funder[f] for f in named_funders if f in self.by_funder]
            if not own:
                self._problem(
                    f"grants/{n}/fundingOrganization{named}: no council on the service is its "
                    "funder"
                )
                return
            expected = own[0]
        if expected and not grant_id.startswith(expected) and grant_id not in self.imported:
            self._problem(
                f"grants/{n}/id{named}: the id does not start with the council's 360Giving "
                f"prefix {expected}"
            )

    def metadata(self, meta: dict) -> None:
        """The package's keywords but its grants (a `grants` that is not an array is caught)."""
        for e in package_validator().iter_errors({"grants": [], **meta}):
            self._problem(f"{_where(e.absolute_path) or '(package)'}: {_shown(e.message)}")
        publisher = meta.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("identifier"), str):
            self.publisher = publisher["identifier"]

    def finish(self) -> list[str]:
        if self.count == 0:
            self._problem("grants: the package has no grants; it needs at least one")
        if self.publisher is not None and self.funders - {self.publisher}:
            others = ", ".join(sorted(self.funders - {self.publisher}))
            self._problem(
                f"publisher/identifier: the publisher {self.publisher} is not the funder of "
                f"every grant (also funded by {others})"
            )
        return self.problems


def errors(package: dict) -> list[str]:
    """Every way the package breaks the schema or the package checks, one line each naming
    where (and the grant's id); [] when valid."""
    check = PackageCheck()
    grants = package.get("grants") if isinstance(package, dict) else None
    if isinstance(grants, list):
        for record in grants:
            check.grant(record)
    if not isinstance(package, dict):
        return [f"(package): {package!r} is not an object"]
    check.metadata({k: v for k, v in package.items() if k != "grants" or not isinstance(v, list)})
    return check.finish()
