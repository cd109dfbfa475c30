"""The merchant's bank accounts: which statements of a camt.053 file are the merchant's.

A bank writes the account of a statement as an IBAN (Acct/Id/IBAN) or as its own number
(Acct/Id/Othr/Id, which may hold an IBAN too); an account registered with either is
recognised by both, compared without spaces and case. With none registered, every
statement of a file is imported: a merchant starting out need not register anything.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import BankAccount
from recura.domains.accounts import repository
from recura.domains.accounts.schemas import BankAccountCreate
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.ids import new_id

# Letters and digits only once spaces are gone; 34 is the longest IBAN or Othr/Id.
_NUMBER = re.compile(r"[0-9A-Z]{1,34}")


def normalize(number: str) -> str:
    """How account numbers are compared: without spaces, upper case."""
    return "".join(number.split()).upper()


def registered(session: Session, tenant: Tenant) -> list[BankAccount]:
    return repository.bank_accounts(session, tenant)


def owns(accounts: list[BankAccount], number: str, currency: str) -> bool:
    """Whether a statement for `number` in `currency` is one of `accounts`'."""
    number = normalize(number)
    return any(number in (a.iban, a.number) and a.currency in (None, currency) for a in accounts)


def create(session: Session, tenant: Tenant, data: BankAccountCreate, now: datetime) -> BankAccount:
    iban = _checked(data.iban, "/iban")
    number = _checked(data.number, "/number")
    if iban is None and number is None:
        raise invalid("", "a bank account needs an iban, a number, or both")
    for known in registered(session, tenant):
        if (known.iban, known.number, known.currency) == (iban, number, data.currency):
            raise ConflictError(f"Bank account '{known.id}' is registered already.")
    row = BankAccount(
        id=new_id("bank_account"),
        **tenant.row_keys(),
        iban=iban,
        number=number,
        currency=data.currency,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def register_iban(session: Session, account_id: str, iban: str, now: datetime) -> None:
    """The IBAN invoices name is one of the merchant's accounts, in test and live data
    alike as the setting is: registered where it is not."""
    iban = normalize(iban)
    for livemode in (False, True):
        tenant = Tenant(account_id, livemode)
        if not any(iban in (a.iban, a.number) for a in registered(session, tenant)):
            create(session, tenant, BankAccountCreate(iban=iban), now)


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[BankAccount]:
    return repository.bank_accounts_page(session, tenant, limit, starting_after)


def delete(session: Session, tenant: Tenant, bank_account_id: str) -> BankAccount:
    row = lookup.require(session, tenant, BankAccount, bank_account_id, "bank account")
    session.delete(row)
    session.flush()
    return row


def _checked(value: str | None, pointer: str) -> str | None:
    if value is None:
        return None
    number = normalize(value)
    # Check digits are not verified: statements are matched as the bank writes the
    # number, and a bank's file is never refused for its IBAN's check digits.
    if _NUMBER.fullmatch(number) is None:
        raise invalid(pointer, f"{value!r} is not an account number: letters and digits only")
    return number
