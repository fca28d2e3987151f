"""Each council's own settings, read for the council the work is for.

A council's name, address, logo, help contact, BACS details and bank accounts are columns of its
row (fundmgr.models.Council), edited by its administrator in /admin/; the settings file keeps
only the service's own configuration (SERVICE_NAME, SERVICE_HELP_CONTACT).

The council the work is for is, in this order: the one the caller names (a document or e-mail
about a payment run or an application names the row's council, so one made in a task or a
command that works across the service is still that council's); the council in scope (the
request's, the task's: fundmgr/councils.py); the one council, on a service that has only one
(as every request is then for it). Otherwise there is none: the service's own pages show the
service's name, never another council's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from fundmgr import councils

if TYPE_CHECKING:
    from fundmgr.models import Council


def council_for(owner: object = None) -> Council | None:
    """The council the work is for: `owner` (a Council, a council's id, or a row a council owns:
    its council, read from the process's cache of councils), else the council in scope, else
    the service's only council; None for the service's own work."""
    from fundmgr.models import Council

    if isinstance(owner, Council):
        return owner
    council_id = owner if isinstance(owner, int) else getattr(owner, "council_id", None)
    if council_id is not None:
        return councils.council(council_id)
    found = councils.current()
    if found is not None:
        return found
    if councils.scope() == councils.NOTHING:
        return None
    every = councils.every_council()
    return every[0] if len(every) == 1 else None


def name(council: Council | None) -> str:
    """The council's name, or the service's on the service's own pages."""
    return council.name if council is not None else settings.SERVICE_NAME


def help_contact(council: Council | None) -> dict[str, str]:
    """Who to ask for help (name, email, phone, hours), the phone as a `tel:` link wants it
    (tel) and how to reach them as a sentence ends (at): the council's grants team, or the
    service's own contact."""
    if council is not None:
        contact = {
            "name": council.help_name or "grants team",
            "email": council.help_email or council.email,
            "phone": council.help_phone or council.phone,
            "hours": council.help_hours,
        }
    else:
        contact = {k: str(v) for k, v in settings.SERVICE_HELP_CONTACT.items()}
        for field in ("email", "phone", "hours"):
            contact.setdefault(field, "")
        contact["name"] = contact.get("name") or "service desk"
    contact["tel"] = "".join(c for c in contact.get("phone", "") if c.isdigit() or c == "+")
    # " at help@example.gov.uk or on 01632 960000": how, after "contact the <name>" (or nothing).
    how = " or on ".join(part for part in (contact["email"], contact["phone"]) if part)
    contact["at"] = f" at {how}" if how else ""
    return contact


def bank_accounts(council: Council | None) -> list[str]:
    """The council's bank accounts, "sort code account number" each: a statement for any other
    account is refused."""
    if council is None:
        return []
    return [line.strip() for line in council.bank_accounts.splitlines() if line.strip()]
