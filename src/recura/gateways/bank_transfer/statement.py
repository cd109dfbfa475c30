"""What a bank statement says, whatever format it came in: statements and their entries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from recura.core.money import Money

__all__ = ["BOOKED", "Entry", "Statement", "StatementError", "statement_key"]

BOOKED = "BOOK"


class StatementError(ValueError):
    """Not a statement that can be read; the message says what is wrong, and where."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One movement on the account: a statement entry, or one transaction of a batch entry.

    Entries of every status are kept, so an operator sees what the bank reported, but
    only booked ones are money on the account: a pending (PDNG) or information-only
    (INFO, FUTR) entry can still be cancelled, and when it is booked it appears again
    as BOOK. `pays_invoices` is the one test reconciliation applies.

    `entry_ref` is what makes importing an entry twice change nothing, so it must come
    out the same each time the entry is read, from a second import of the same file, a
    file downloaded again, or the next statement repeating it. It is the bank's
    reference (AcctSvcrRef), else the entry reference (NtryRef) qualified with the
    statement id because banks number those per statement, followed by the direction,
    amount and currency ("0758 CRDT 1537.00 CHF") because a bank may give several entries
    one reference; a second entry alike in all of these in one statement adds " #2".
    Without either reference it is a hash of the entry's content (never its position in
    the file or the time of import) with the count of identical entries before it in
    the statement, so two equal transfers on one day stay two. Transactions of a batch
    add "/<n>" to their entry's reference.
    """

    entry_ref: str
    booked_on: date
    amount: Money  # never negative: `credit` says which way it went
    credit: bool
    status: str  # BOOK, PDNG, INFO, FUTR, or a bank's proprietary code
    references: tuple[str, ...]  # normalized: structured ones first, then RF found in text
    remittance: str
    # The other side: the payer (Dbtr) of a credit, the payee (Cdtr) of a debit.
    counterparty_name: str | None
    counterparty_iban: str | None
    end_to_end_id: str | None
    reversal: bool = False  # the bank undoing an earlier entry (RvslInd)

    @property
    def booked(self) -> bool:
        return self.status == BOOKED

    @property
    def pays_invoices(self) -> bool:
        """A booked credit that does not undo an earlier debit: only these can pay invoices."""
        return self.booked and self.credit and not self.reversal


@dataclass(frozen=True, slots=True)
class Statement:
    message_id: str
    statement_id: str
    account: str  # Acct/Id/IBAN or Acct/Id/Othr/Id, without spaces, upper case
    currency: str
    created_at: datetime
    entries: tuple[Entry, ...]


def statement_key(statement: Statement) -> str:
    """The same for the same statement, whatever file it arrived in or how often.

    The message id is part of it although a bank may give a statement downloaded twice a
    new one: a key too narrow could take a new statement for one already imported and
    drop its entries, while a key too wide only imports a statement again, which its
    entries' references make harmless.
    """
    identity = json.dumps([statement.account, statement.statement_id, statement.message_id])
    return hashlib.sha256(identity.encode()).hexdigest()
