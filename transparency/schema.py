"""Validation of a 360Giving JSON package against the standard's own schema, offline.

The schemas (in schema/360giving/, copied unchanged from the standard) are JSON Schema draft
2020-12. The package schema refers to the grant schema by its published 1.4.2 URL while the grant
schema's `$id` is the 1.4.3 one, so both URLs resolve to the local file through a `referencing`
registry: nothing is ever fetched. Formats are asserted because the schema tells a date from a
date-time by `format` inside `oneOf`; without that a plain date would match both branches and
fail (`rfc3339-validator` lets jsonschema check date-times).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parent / "schema" / "360giving"
PACKAGE_SCHEMA = SCHEMAS / "360-giving-package-schema.json"
GRANT_SCHEMA = SCHEMAS / "360-giving-schema.json"
STANDARD = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard"
GRANT_SCHEMA_URLS = [f"{STANDARD}/{v}/schema/360-giving-schema.json" for v in ("1.4.2", "1.4.3")]


@cache
def validator() -> jsonschema.Draft202012Validator:
    package = json.loads(PACKAGE_SCHEMA.read_text(encoding="utf-8"))
    grant = DRAFT202012.create_resource(json.loads(GRANT_SCHEMA.read_text(encoding="utf-8")))
    registry = Registry().with_resources((url, grant) for url in GRANT_SCHEMA_URLS)
    return jsonschema.Draft202012Validator(
        package, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def errors(package: dict) -> list[str]:
    """Every way the package breaks the schema, one line each naming where; [] when valid."""
    found = sorted(validator().iter_errors(package), key=lambda e: list(e.absolute_path))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(package)'}: {e.message}" for e in found
    ]
