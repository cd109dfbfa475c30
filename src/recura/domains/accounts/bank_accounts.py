"""The merchant's bank accounts: which statements of a camt.053 file are the merchant's.

A bank writes the account of a statement as an IBAN (Acct/Id/IBAN) or as its own number
(Acct/Id/Othr/Id, which may hold an IBAN too); an account registered with either is
recognised by both, compared without spaces and case. With none registered, every
statement of a file is imported: a merchant starting out need not register anything.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recura.db.models import BankAccount
from recura.domains.accounts.schemas import BankAccountCreate
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.ids import new_id

# Letters and digits only once spaces are gone; 34 is the longest IBAN or Othr/Id.
_NUMBER = re.compile(r"[0-9A-Z]{1,34}")


def normalize(number: str) -> str:
    """How account numbers are compared: without spaces, upper case."""
    return "".join(number.split()).upper()


def registered(session: Session, account_id: str) -> list[BankAccount]:
    stmt = select(BankAccount).where(BankAccount.account_id == account_id)
    return list(session.scalars(stmt.order_by(BankAccount.id)))


def owns(accounts: list[BankAccount], number: str, currency: str) -> bool:
    """Whether a statement for `number` in `currency` is one of `accounts`'."""
    number = normalize(number)
    return any(number in (a.iban, a.number) and a.currency in (None, currency) for a in accounts)


def create(
    session: Session, account_id: str, data: BankAccountCreate, now: datetime
) -> BankAccount:
    iban = _checked(data.iban, "/iban")
    number = _checked(data.number, "/number")
    if iban is None and number is None:
        raise invalid("", "a bank account needs an iban, a number, or both")
    for known in registered(session, account_id):
        if (known.iban, known.number, known.currency) == (iban, number, data.currency):
            raise ConflictError(f"Bank account '{known.id}' is registered already.")
    row = BankAccount(
        id=new_id("bank_account"),
        account_id=account_id,
        iban=iban,
        number=number,
        currency=data.currency,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def register_iban(session: Session, account_id: str, iban: str, now: datetime) -> None:
    """The IBAN invoices name is one of the merchant's accounts: registered if it is not."""
    iban = normalize(iban)
    if not any(iban in (a.iban, a.number) for a in registered(session, account_id)):
        create(session, account_id, BankAccountCreate(iban=iban), now)


def page(
    session: Session, account_id: str, limit: int, starting_after: str | None
) -> Page[BankAccount]:
    # Not a tenant table (test and live data share it), so not common.pages' paginate.
    stmt = select(BankAccount).where(BankAccount.account_id == account_id)
    if starting_after:
        stmt = stmt.where(BankAccount.id < starting_after)
    rows = list(session.scalars(stmt.order_by(BankAccount.id.desc()).limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)


def delete(session: Session, account_id: str, bank_account_id: str) -> BankAccount:
    row = session.get(BankAccount, (account_id, bank_account_id))
    if row is None:
        raise NotFoundError("bank account", bank_account_id)
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
