"""Customers' EU VAT numbers checked with VIES, and each check kept as proof.

A number counts for reverse charge only once VIES confirmed it (`invoices.taxes.buyer_of`).
Checks never run inside a transaction that holds rows: a number set or changed (the API,
the checkout, the portal) is only marked due (`schedule`), and the worker checks it
between transactions, as it sends emails and webhooks (`recura.staged`): claim the due
numbers in one short transaction, ask VIES with none open, record the answers in another.
`POST /v1/customers/{id}/vat_check` does the same within its request.

Each answer is a `vat_checks` row naming the requester (the account's own EU VAT number,
which makes VIES give a consultation number), the verdict and what VIES returned, and it
sets the customer's state:

- valid: `validated`, `vat_id_validated_at` set; checked again `vat_recheck_days` (an
  account setting, 30 by default) later, before it counts for further invoices;
- invalid: `invalid`, the confirmation cleared (VAT is charged, the invoice says why);
  checked again after the same age, as a number may be registered later;
- VIES could not answer: `pending`, the confirmation cleared, so VAT is charged with the
  mention that VIES could not confirm the number, never a silent zero rate; asked again
  after `RETRY_AFTER`, and the next valid answer returns the customer to reverse charge.

The worker runs these checks first in each pass (`jobs.worker.FIRST`), so a number whose
confirmation has grown older than the account allows is checked before that pass's
renewals. Customers on a test clock are checked on real time, as VIES is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.db.models import Account, Customer, VatCheck
from recura.db.unit_of_work import Units
from recura.domains.accounts import repository as accounts
from recura.domains.common.errors import invalid
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.gateways.vies import Answer, Unavailable, Vies, checkable
from recura.ids import new_id

NOT_CHECKED, VALIDATED, INVALID, PENDING = "not_checked", "validated", "invalid", "pending"
BATCH = 20
# How long after VIES could not answer a number is asked about again.
RETRY_AFTER = timedelta(minutes=15)
# Seconds one check may take in all, however slowly VIES answers.
DEADLINE_SECONDS = 30.0
# VIES's codes for its own overload or a member state's outage: "try again later" (503);
# anything else on the way (a network failure, an answer that is no answer) is a bad
# gateway (502).
BUSY = frozenset(
    {
        "MS_UNAVAILABLE",
        "TIMEOUT",
        "SERVICE_UNAVAILABLE",
        "MS_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ",
    }
)

# VIES's codes for the whole service being down or busy, and failures on the way to it: no
# member state's numbers can be checked then.
EVERYWHERE = frozenset({"SERVICE_UNAVAILABLE", "GLOBAL_MAX_CONCURRENT_REQ", "NETWORK"})

Outcome = Answer | Unavailable


def unavailable_detail(outcome: Unavailable) -> str:
    """What a check asked for now says when VIES could not answer (recorded as pending)."""
    return (
        f"VIES could not check the VAT number ({outcome.code}); VAT is charged until it can, "
        "and the check is retried."
    )


@dataclass(frozen=True, slots=True)
class Due:
    """One number to check: whose, which, and who asks (the account's own EU VAT number)."""

    tenant: Tenant
    customer_id: str
    vat_id: str
    requester: str | None


def schedule(customer: Customer, now: datetime) -> None:
    """The customer's VAT number was set or changed: not confirmed any more, and due a
    check at once when VIES knows numbers like it (an EU member state's)."""
    customer.vat_id_validated_at = None
    if checkable(customer.vat_id):
        customer.vat_check, customer.vat_check_due_at = NOT_CHECKED, now
    else:
        customer.vat_check = customer.vat_check_due_at = None


def requester_of(account: Account) -> str | None:
    """The account's own EU VAT number, sent so that VIES gives a consultation number."""
    return account.vat_id if account.vat_registered and checkable(account.vat_id) else None


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[Due]:
    """Numbers due a check, each pushed back by the stale-claim time: one a lost worker
    claimed is taken again then, and one being checked is not claimed twice."""
    found = []
    read: dict[str, Account] = {}
    for customer in repository.lock_vat_checks_due(session, now, limit):
        if not checkable(customer.vat_id):  # the number went meanwhile
            customer.vat_check = customer.vat_check_due_at = None
            continue
        customer.vat_check_due_at = now + staged.CLAIM_EXPIRES
        account = read.get(customer.account_id)
        if account is None:
            account = accounts.account_by_key(session, customer.account_id)
            read[customer.account_id] = account
        tenant = Tenant(customer.account_id, customer.livemode)
        found.append(Due(tenant, customer.id, str(customer.vat_id), requester_of(account)))
    return found


def ask(due: Due, vies: Vies | None = None) -> Outcome:
    """VIES's answer on `due`, or why it gave none. No transaction may be open."""
    try:
        return (vies or Vies()).check(due.vat_id, due.requester)
    except Unavailable as exc:
        return exc


def record(session: Session, due: Due, outcome: Outcome, now: datetime) -> VatCheck | None:
    """Keep the check as proof and set the customer's state from it; None when the
    customer's number changed while VIES was asked (the new one has its own check due)."""
    customer = repository.by_key(session, due.tenant.account_id, due.customer_id)
    if customer.vat_id != due.vat_id:
        return None
    account = accounts.account_by_key(session, customer.account_id)
    before = customer.vat_check
    check = VatCheck(
        id=new_id("vat_check"),
        **due.tenant.row_keys(),
        customer_id=customer.id,
        vat_id=due.vat_id,
        requester_vat_id=due.requester,
        checked_at=now,
        created_at=now,
    )
    if isinstance(outcome, Unavailable):
        check.result, check.error = "unavailable", outcome.code[:40]
        customer.vat_check, customer.vat_id_validated_at = PENDING, None
        customer.vat_check_due_at = now + RETRY_AFTER
    else:
        check.result = "valid" if outcome.valid else "invalid"
        check.checked_at = outcome.checked_at
        check.consultation_number = outcome.consultation_number
        check.name = _cut(outcome.name, 500)
        check.address = _cut(outcome.address, 1000)
        customer.vat_check = VALIDATED if outcome.valid else INVALID
        customer.vat_id_validated_at = now if outcome.valid else None
        customer.vat_check_due_at = now + timedelta(days=account.vat_recheck_days)
    session.add(check)
    if customer.vat_check != before and customer.vat_check in (VALIDATED, INVALID):
        event = (
            payloads.CustomerVatIdValidated
            if customer.vat_check == VALIDATED
            else payloads.CustomerVatIdInvalid
        )
        data = event(
            id=customer.id,
            vat_id=check.vat_id,
            vat_check=check.id,
            consultation_number=check.consultation_number,
            checked_at=check.checked_at,
            name=check.name,
            address=check.address,
        )
        events.record(session, due.tenant, data, now)
    session.flush()
    return check


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


class Checking(staged.Kind[Due, Outcome]):
    """Due VAT numbers as a staged batch: claimed, asked about, recorded. Each member state
    is a lane: once VIES says a state (or the whole service) cannot answer, the batch's
    other numbers there are not asked, only recorded pending with the same code, so an
    outage costs one request and one timeout, not one per number."""

    name = "VAT number checks"
    # One at a time: VIES answers in well under a second, and a state found down holds
    # back the rest of its numbers at once, where parallel sends would each wait it out.
    threads = 1

    def __init__(self, vies: Vies | None = None, deadline: float = DEADLINE_SECONDS) -> None:
        self.vies = vies
        self.deadline = deadline
        self.down: dict[str, str] = {}  # lane ("*": every one) -> VIES's code

    def lane(self, item: Due) -> str:
        return item.vat_id[:2].upper()

    def heard(self, item: Due, answer: Outcome) -> None:
        if isinstance(answer, Unavailable):
            everywhere = answer.code in EVERYWHERE or answer.code.startswith("HTTP_")
            self.down["*" if everywhere else self.lane(item)] = answer.code

    def held(self, item: Due) -> bool:
        return self._down(item) is not None

    def release(self, session: Session, items: Sequence[Due], now: datetime) -> None:
        # Held back by an outage: pending as the numbers asked were. Too late to send: left
        # to the stale-claim rule, due again when the claim expires.
        for item in items:
            code = self._down(item)
            if code is not None:
                record(session, item, Unavailable(code), now)

    def _down(self, item: Due) -> str | None:
        return self.down.get("*") or self.down.get(self.lane(item))

    def claim(self, session: Session, now: datetime, limit: int) -> Sequence[Due]:
        return claim(session, now, limit)

    def send(self, item: Due, deadline: staged.Deadline) -> Outcome:
        return deadline.call(lambda: ask(item, self.vies))

    def unanswered(self, item: Due, error: Exception) -> Outcome:
        return Unavailable("TIMEOUT" if isinstance(error, staged.DeadlinePassed) else "NETWORK")

    def record(self, session: Session, item: Due, answer: Outcome, now: datetime) -> None:
        record(session, item, answer, now)


def check_due(units: Units, clock: Clock, limit: int = BATCH) -> int:
    """One batch of due checks (the worker's `vat_checks`); returns how many were claimed."""
    return staged.run(units, clock, Checking(), limit)


def due_now(session: Session, tenant: Tenant, customer: Customer) -> Due:
    """The check `POST /v1/customers/{id}/vat_check` asks for: 422 when the customer has
    no number VIES knows."""
    if not checkable(customer.vat_id):
        raise invalid("/vat_id", "the customer has no EU VAT number to check with VIES")
    account = accounts.account_by_key(session, tenant.account_id)
    return Due(tenant, customer.id, str(customer.vat_id), requester_of(account))


def latest(session: Session, tenant: Tenant, customer_ids: Sequence[str]) -> dict[str, VatCheck]:
    return repository.latest_vat_checks(session, tenant, customer_ids)


def history(session: Session, tenant: Tenant, customer_id: str) -> list[VatCheck]:
    return repository.vat_checks_of(session, tenant, customer_id)
