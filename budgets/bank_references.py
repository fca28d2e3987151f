"""A grant's payment reference found as banks print it, and written back as the council writes it.

The council sends `CCIF26-000101/1` (fund code, the year's last two digits, a hyphen, the
application's number of at least six digits, "/" and the instalment) in the BACS reference. What
comes back on a statement is what the payee's bank passed on: `CCIF26-000101`, `CCIF26000101`,
`ccif26 000101`, `FRIENDS OF ABBEY CCIF26000101 BGC`, or the reference cut at 18 characters
(`CCIF26-000101/`). Each is read here as `CCIF26-000101/1` when the instalment is printed, else
as the grant's reference `CCIF26-000101`; which payment a grant's reference means is for the
matcher to settle (`candidates`), and two payments that fit are left for a person.

The fund code must stand on its own (no letter or digit just before it), the number has six to
nine digits and no digit just after it, so a number cut short is not read as another grant's.
Given the funds' codes (`known_prefixes`), only those are looked for: an invoice number such as
`INV26-123456` or a phone number is not taken for a grant.

`find` reads one text; `find_all` a whole pandas Series at once (one call into Arrow's RE2
engine when pyarrow is there, as it is).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ANY_CODE = "[A-Z]{2,6}"
# Applied to upper-cased text. RE2 (Arrow) has no look-behind or look-ahead, so the characters
# either side are matched (and not kept) instead.
_BODY = (
    r"(?:^|[^A-Z0-9])(?P<code>{codes})(?P<year>[0-9]{{2}}) ?-? ?(?P<number>[0-9]{{6,9}})"
    r" ?(?:/ ?(?P<instalment>[1-9])?)?(?:[^0-9]|$)"
)


def pattern(prefixes: Iterable[str] | None = None) -> str:
    """The regular expression (for upper-cased text): any 2 to 6 letters as the fund code, or
    only the codes given (longest first, so CCIF is tried before CC)."""
    if prefixes is None:
        return _BODY.format(codes=ANY_CODE)
    codes = sorted({p.strip().upper() for p in prefixes if p.strip()}, key=lambda p: (-len(p), p))
    if not codes:
        return ""
    return _BODY.format(codes="|".join(re.escape(c) for c in codes))


@lru_cache(maxsize=32)
def _compiled(prefixes: tuple[str, ...] | None) -> re.Pattern[str] | None:
    source = pattern(prefixes)
    return re.compile(source) if source else None


def _key(prefixes: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if prefixes is None else tuple(sorted(set(prefixes)))


def canonical(code: str, year: str, number: str, instalment: str = "") -> str:
    """CCIF26-000101/1, or CCIF26-000101 when no instalment was printed."""
    reference = f"{code}{year}-{number}"
    return f"{reference}/{instalment}" if instalment else reference


def find(text: str, prefixes: Iterable[str] | None = None) -> str:
    """The first grant payment reference in `text`, as the council writes it, or ""."""
    compiled = _compiled(_key(prefixes))
    if compiled is None or not text:
        return ""
    found = compiled.search(text.upper())
    if found is None:
        return ""
    return canonical(found["code"], found["year"], found["number"], found["instalment"] or "")


def find_all(texts: pd.Series, prefixes: Iterable[str] | None = None) -> np.ndarray:
    """`find` for every text of a Series, as an array of str ("" where there is none)."""
    import numpy as np

    source = pattern(None if prefixes is None else _key(prefixes))
    if not source or texts.empty:
        return np.full(len(texts), "", dtype=object)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency; kept for a bare install
        parts = texts.astype(str).str.upper().str.extract(source).fillna("")
        base = parts["code"] + parts["year"] + "-" + parts["number"]
        base = base.where(parts["code"] != "", "")
        slash = parts["instalment"].where(parts["instalment"] == "", "/" + parts["instalment"])
        return (base + slash.where(base != "", "")).to_numpy(dtype=object)
    column = pc.utf8_upper(
        pa.array(texts.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    )
    parts = pc.extract_regex(column, source)
    code, year, number, instalment = (pc.struct_field(parts, [i]) for i in range(4))
    base = pc.binary_join_element_wise(pc.binary_join_element_wise(code, year, ""), number, "-")
    full = pc.if_else(
        pc.equal(instalment, ""), base, pc.binary_join_element_wise(base, instalment, "/")
    )
    return pc.fill_null(full, "").to_numpy(zero_copy_only=False)


def grant_of(reference: str) -> str:
    """CCIF26-000101 for CCIF26-000101/1 (and for itself)."""
    return reference.split("/", 1)[0]


def has_instalment(reference: str) -> bool:
    return "/" in reference


def candidates(reference: str, payments: Mapping[str, Iterable[str]]) -> list[str]:
    """The payment references a printed reference could mean, given `payments` (each grant's
    reference to its payments' references, those that could be on the statement). One means
    it is that payment; two or more are for a person to choose from; none, no payment."""
    if not reference:
        return []
    mine = sorted(payments.get(grant_of(reference), ()))
    if has_instalment(reference):
        return [reference] if reference in mine else []
    return mine


def known_prefixes() -> list[str]:
    """Every fund's code (CCIF, CB, ...): the only prefixes a grant reference can start with."""
    from budgets.models import Fund

    return sorted(Fund.objects.values_list("code", flat=True))
