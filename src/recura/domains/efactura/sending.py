"""The worker's e-Factura handler: upload `pending` e-invoices, ask ANAF about `uploaded`
ones, download and archive its decision, through the one staged mechanism
(`recura.staged`): claim a batch and mark it (one commit), call ANAF outside any
transaction within a total deadline, record the answers.

Each claim makes one call per e-invoice (a recovery, below, a few downloads), counted
against ANAF's limits before it is made (`limits.reserve`): over a limit, the e-invoice
waits for the window to turn instead.

- `pending` → `upload` (companies in Romania), `upload?extern=DA` (buyers outside
  Romania) or `uploadb2c` (Romanian individuals); `standard=CN` for a credit note. An
  index makes it `uploaded` (event `einvoice.uploaded`); errors in the answer make it
  `rejected` at once (ANAF took nothing).
- `uploaded` → `stareMesaj`: `in prelucrare` asks again later, backing off; `ok`/`nok`
  give the download id; `XML cu erori nepreluat de sistem` is a rejection.
- with a download id → `descarcare`: the ZIP is archived in `answer` (ANAF deletes it after
  60 days) and decides: the signed document makes it `accepted`, ANAF's errors
  `rejected` with the messages kept (events `einvoice.accepted|rejected`).

ANAF's upload takes no idempotency key, so an upload whose answer never came back (no
answer, cut at the deadline, dropped after the request may have gone, a 5xx from ANAF's
gateway) may have been taken: uploading it again could register the invoice twice. Each
upload is marked unconfirmed when claimed (`upload_unconfirmed_since`) and the mark is
cleared by an answer that settles it: an index, errors, a 4xx or a connection never made
(ANAF took nothing: tried again as before). A mark left in place is recovered from
`listaMesajeFactura` instead of uploading:

- the CIF's messages of the days since the mark; those of type `FACTURA TRIMISA` created
  since then (less `CLOCK_MARGIN`) whose index Recura does not know are its candidates
  (kept in `unconfirmed_messages`; each looked at once);
- each candidate's ZIP is downloaded (`RECOVERY_DOWNLOADS` a claim) and the document in it
  compared with ours: the same one is adopted, as if polling had found it (index and
  download id kept, the ZIP archived, `einvoice.uploaded` and `accepted` once);
- no match: asked again with backoff until `RECOVERY_WINDOW` has passed since the mark,
  then the mark is cleared and the document uploaded again. A rejected upload (`ERORI
  FACTURA`, its ZIP holds no invoice) needs no finding: sending it again duplicates
  nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from recura import staged
from recura.clock import Clock
from recura.config import get_settings
from recura.db.models import AnafConnection, EInvoice
from recura.db.unit_of_work import Units
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import connections, limits, repository
from recura.domains.efactura.connections import Anaf
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.gateways.anaf import answers
from recura.gateways.anaf.efactura import EFactura, Refused
from recura.gateways.anaf.http import AnafUnreachable

log = logging.getLogger(__name__)

BATCH = 20
DEADLINE_SECONDS = 60.0
# Asking again while ANAF is still processing, or after an error: 1, 2, 5, 10, 30 minutes,
# then hourly.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
# No connection, or no valid access token: looked at again after this long.
NOT_CONNECTED_WAIT = timedelta(hours=1)
# ANAF's gateway over its per-minute limit (429).
THROTTLED_WAIT = timedelta(minutes=1)
# How long an unconfirmed upload is looked for in ANAF's list before it is uploaded again.
# ANAF processes an upload in minutes and lists it only then; two hours leave room for a
# slow day while the invoice still reaches ANAF well within its 5 working days.
RECOVERY_WINDOW = timedelta(hours=2)
# ANAF's `data_creare` has minutes only and its clock is not ours: a message created this
# long before the mark may still be the upload.
CLOCK_MARGIN = timedelta(minutes=10)
# Candidates downloaded in one claim (each counts against descarcare's limit).
RECOVERY_DOWNLOADS = 5


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True, slots=True)
class Job:
    account_id: str
    livemode: bool
    einvoice_id: str
    attempt: int
    # "upload", "stareMesaj", "descarcare", or, for an unconfirmed upload,
    # "listaMesajeFactura" and "recover" (downloading its candidates)
    action: str
    state: str
    cif: str
    api: EFactura
    xml: bytes = b""
    credit_note: bool = False
    b2c: bool = False
    foreign_buyer: bool = False
    upload_index: str | None = None
    download_id: str | None = None
    unconfirmed_since: datetime | None = None
    # Upload indexes not to take for ours: Recura's own and those already listed.
    known: frozenset[str] = frozenset()
    # (upload index, download id) of the candidates to download.
    candidates: tuple[tuple[str, str], ...] = ()
    # listaMesajeFactura's `zile`: the days back to the mark (1 to 60).
    days: int = 1


@dataclass(frozen=True, slots=True)
class Answer:
    upload: answers.Upload | None = None
    status: answers.Status | None = None
    archive: bytes | None = None
    error: str | None = None
    http_status: int | None = None
    # An upload's error after which ANAF may hold the document all the same.
    uncertain: bool = False
    # The new candidates of a listing.
    listed: tuple[tuple[str, str], ...] | None = None
    # Candidates downloaded: not ours, and ours (with `archive`).
    checked: tuple[str, ...] = ()
    found: tuple[str, str] | None = None


@dataclass
class Uploading(staged.Kind[Job, Answer]):
    anaf: Callable[[], Anaf]
    name: str = "einvoices"
    deadline: float = DEADLINE_SECONDS
    taken: int = 0
    _anaf: Anaf | None = field(default=None, repr=False)

    def _setup(self) -> Anaf:
        if self._anaf is None:
            self._anaf = self.anaf()
        return self._anaf

    def claim(self, session: Session, now: datetime, limit: int) -> Sequence[Job]:
        rows = _shared(session, now, limit)
        self.taken = len(rows)
        if not rows:
            return []
        anaf = self._setup()
        conns = {
            (c.account_id, c.livemode): c
            for c in repository.connections_of(session, {(r.account_id, r.livemode) for r in rows})
        }
        buyers = repository.buyers(session, rows)
        jobs = []
        for row in rows:
            conn = conns.get((row.account_id, row.livemode))
            token = None if conn is None else connections.access_token(anaf, conn, now)
            if conn is None or token is None or not row.xml:
                row.next_attempt_at = now + NOT_CONNECTED_WAIT
                row.updated_at = now
                continue
            job = _job(row, conn, token, anaf, buyers.get(row.id))
            if job.action in ("listaMesajeFactura", "recover"):
                job = _recovering(session, row, job, now)
            job, wait_until = _reserve(session, row, job, now)
            if wait_until is not None:
                row.next_attempt_at = wait_until
                row.updated_at = now
                continue
            if job.action == "upload":
                row.upload_unconfirmed_since = now
                job = replace(job, unconfirmed_since=now)
            row.attempts += 1
            # Taken again by the stale-claim rule if no answer is recorded by then.
            row.next_attempt_at = now + staged.CLAIM_EXPIRES
            row.updated_at = now
            jobs.append(replace(job, attempt=row.attempts))
        session.flush()
        return jobs

    def send(self, item: Job, deadline: staged.Deadline) -> Answer:
        if item.action == "listaMesajeFactura":
            return _listing(item, deadline)
        if item.action == "recover":
            return _looking(item, deadline)
        try:
            if item.action == "upload":
                return Answer(
                    upload=item.api.upload(
                        item.xml,
                        item.cif,
                        credit_note=item.credit_note,
                        b2c=item.b2c,
                        foreign_buyer=item.foreign_buyer,
                        deadline=deadline,
                    )
                )
            if item.action == "stareMesaj":
                return Answer(status=item.api.status(item.upload_index or "", deadline))
            return Answer(archive=item.api.download(item.download_id or "", deadline))
        except Refused as refused:
            # ANAF's gateway failing (5xx) may have passed the file on before it failed.
            uncertain = refused.status >= 500
            return Answer(error=str(refused), http_status=refused.status, uncertain=uncertain)
        except AnafUnreachable as error:
            return Answer(error=str(error), uncertain=error.sent)
        except answers.Unreadable as error:
            return Answer(error=str(error), uncertain=True)

    def unanswered(self, item: Job, error: Exception) -> Answer:
        return Answer(error=f"{type(error).__name__}: {error}"[:300], uncertain=True)

    def release(self, session: Session, items: Sequence[Job], now: datetime) -> None:
        """An upload claimed but never sent cannot have reached ANAF: its mark goes (the
        claim's expiry still decides when it is taken again)."""
        for item in items:
            if item.action != "upload":
                continue
            row = repository.lock_one(session, item.account_id, item.einvoice_id)
            if (
                row is not None
                and row.attempts == item.attempt
                and row.upload_unconfirmed_since == item.unconfirmed_since
            ):
                row.upload_unconfirmed_since = None
                row.updated_at = now

    def record(self, session: Session, item: Job, answer: Answer, now: datetime) -> None:
        row = repository.lock_one(session, item.account_id, item.einvoice_id)
        if row is None or row.attempts != item.attempt or row.state != item.state:
            return  # claimed again since (its claim expired), or decided meanwhile
        tenant = Tenant(row.account_id, row.livemode)
        row.updated_at = now
        if item.action in ("listaMesajeFactura", "recover"):
            _recovered(session, tenant, row, item, answer, now)
        elif answer.error is not None:
            _failed(session, row, item, answer, now)
        elif answer.upload is not None:
            _uploaded(session, tenant, row, answer.upload, now)
        elif answer.status is not None:
            _status(session, tenant, row, item, answer.status, now)
        elif answer.archive is not None:
            _decided(session, tenant, row, answer.archive, now)


def _shared(session: Session, now: datetime, limit: int) -> list[EInvoice]:
    """The batch is shared among the accounts with work due, so one account's backlog does
    not keep another's e-invoices waiting behind it; what one leaves, others fill."""
    accounts = repository.due_accounts(session, now, limit)
    if not accounts:
        return []
    share = -(-limit // len(accounts))
    rows: list[EInvoice] = []
    filled = []
    for account_id in accounts:
        taken = repository.lock_due(session, account_id, now, min(share, limit - len(rows)))
        rows += taken
        if len(taken) == share:
            filled.append(account_id)
    for account_id in filled:
        if len(rows) >= limit:
            break
        seen = {r.id for r in rows}
        more = repository.lock_due(session, account_id, now, limit - len(rows) + len(seen))
        rows += [r for r in more if r.id not in seen][: limit - len(rows)]
    return rows


def _job(row: EInvoice, conn: AnafConnection, token: str, anaf: Anaf, buyer: object | None) -> Job:
    api = EFactura(anaf.api_base, connections.environment(row.livemode), token)
    kind = getattr(buyer, "kind", "company")
    country = (getattr(buyer, "country", None) or "RO").upper()
    if row.state == "pending" and row.upload_unconfirmed_since is not None:
        action = "recover" if _unchecked(row) else "listaMesajeFactura"
    elif row.state == "pending":
        action = "upload"
    elif row.download_id:
        action = "descarcare"
    else:
        action = "stareMesaj"
    return Job(
        account_id=row.account_id,
        livemode=row.livemode,
        einvoice_id=row.id,
        attempt=0,
        action=action,
        state=row.state,
        cif=conn.cif,
        api=api,
        xml=row.xml or b"",
        credit_note=row.type_code == "381",
        b2c=kind == "individual" and country == "RO",
        foreign_buyer=country != "RO",
        upload_index=row.upload_index,
        download_id=row.download_id,
        unconfirmed_since=row.upload_unconfirmed_since,
    )


def _failed(session: Session, row: EInvoice, item: Job, answer: Answer, now: datetime) -> None:
    log.warning("e-Factura %s of %s failed: %s", item.action, row.id, answer.error)
    if item.action == "upload" and not answer.uncertain:
        row.upload_unconfirmed_since = None  # ANAF took nothing: uploaded again as before
    if answer.http_status == 429:
        row.next_attempt_at = now + THROTTLED_WAIT
    elif answer.http_status in (401, 403):
        row.next_attempt_at = now + NOT_CONNECTED_WAIT
    else:
        row.next_attempt_at = now + backoff(row.attempts)


def _reserve(
    session: Session, row: EInvoice, job: Job, now: datetime
) -> tuple[Job, datetime | None]:
    """Count the claim's calls against ANAF's limits: the job to send, or when to try
    again. A recovery downloads the candidates it may and leaves the rest for later."""
    if job.action != "recover":
        subject = row.upload_index or ""
        wait = limits.reserve(
            session, row.account_id, row.livemode, job.cif, job.action, subject, now
        )
        return job, wait
    allowed, waits = [], []
    for index, download_id in job.candidates[:RECOVERY_DOWNLOADS]:
        wait_until = limits.reserve(
            session, row.account_id, row.livemode, job.cif, "descarcare", index, now
        )
        if wait_until is None:
            allowed.append((index, download_id))
        else:
            waits.append(wait_until)
    if not allowed:
        return job, min(waits)
    return replace(job, candidates=tuple(allowed)), None


def _unchecked(row: EInvoice) -> list[dict[str, Any]]:
    return [m for m in row.unconfirmed_messages or [] if not m.get("checked")]


def _recovering(session: Session, row: EInvoice, job: Job, now: datetime) -> Job:
    """What an unconfirmed upload's claim needs, read in its transaction: the indexes
    Recura knows since the mark (its own uploads, never the lost one) and those already
    listed, and the candidates still to look at; listed again when none is left."""
    oldest = (row.upload_unconfirmed_since or now) - CLOCK_MARGIN
    ours = repository.upload_indexes_since(session, row.account_id, row.livemode, oldest)
    # Copies: the JSON column is saved only when its value differs from what was read.
    listed = [dict(m) for m in row.unconfirmed_messages or []]
    for message in listed:
        if message["index"] in ours:  # recorded for another e-invoice since it was listed
            message["checked"] = True
    row.unconfirmed_messages = listed
    known = frozenset(ours | {m["index"] for m in listed})
    candidates = tuple((m["index"], m["download_id"]) for m in _unchecked(row))
    action = "recover" if candidates else "listaMesajeFactura"
    days = min(max((now - oldest).days + 1, 1), 60)
    return replace(job, action=action, known=known, candidates=candidates, days=days)


def _listing(item: Job, deadline: staged.Deadline) -> Answer:
    """The CIF's messages since the mark, less those known: the new candidates."""
    oldest = None if item.unconfirmed_since is None else item.unconfirmed_since - CLOCK_MARGIN
    try:
        messages = item.api.messages(item.cif, item.days, deadline)
    except Refused as refused:
        return Answer(error=str(refused), http_status=refused.status)
    except AnafUnreachable as error:
        return Answer(error=str(error))
    found: list[tuple[str, str]] = []
    for message in messages:
        index, download_id = message.get("id_solicitare", ""), message.get("id", "")
        if message.get("tip") != answers.SENT or not index or not download_id:
            continue
        if index in item.known or any(index == f[0] for f in found):
            continue
        created = answers.created_at(message.get("data_creare", ""))
        if created is not None and oldest is not None and created < oldest:
            continue
        found.append((index, download_id))
    return Answer(listed=tuple(found))


def _looking(item: Job, deadline: staged.Deadline) -> Answer:
    """Download the candidates, one after another, until one holds our document."""
    checked: list[str] = []
    for index, download_id in item.candidates:
        try:
            archive = item.api.download(download_id, deadline)
            document = answers.document_in_zip(archive)
        except Refused as refused:
            return Answer(error=str(refused), http_status=refused.status, checked=tuple(checked))
        except (AnafUnreachable, answers.Unreadable) as error:
            return Answer(error=str(error), checked=tuple(checked))
        if document is not None and answers.same_document(item.xml, document):
            return Answer(archive=archive, checked=tuple(checked), found=(index, download_id))
        checked.append(index)
    return Answer(checked=tuple(checked))


def _recovered(
    session: Session, tenant: Tenant, row: EInvoice, item: Job, answer: Answer, now: datetime
) -> None:
    """Record a listing or a look at candidates of an unconfirmed upload."""
    listed = [dict(m) for m in row.unconfirmed_messages or []]
    seen = {m["index"] for m in listed}
    for index, download_id in answer.listed or ():
        if index not in seen:
            listed.append({"index": index, "download_id": download_id, "checked": False})
    for message in listed:
        if message["index"] in answer.checked:
            message["checked"] = True
    row.unconfirmed_messages = listed
    if answer.found is not None and answer.archive is not None:
        index, download_id = answer.found
        holder = repository.holder_of_index(session, row.account_id, row.livemode, index)
        if holder is None:
            log.info("e-invoice %s was taken by ANAF as %s; adopted", row.id, index)
            _uploaded(session, tenant, row, answers.Upload(index, ()), now)
            row.download_id = download_id
            _decided(session, tenant, row, answer.archive, now)
            return
        for message in listed:
            if message["index"] == index:
                message["checked"] = True
    if answer.error is not None:
        error = answer.error.lower()
        if answer.http_status != 200 or not any(word in error for word in answers.LIMIT_WORDS):
            _failed(session, row, item, answer, now)  # the candidates left wait
        else:
            # ANAF counts calls we did not make (another program's): its day is over.
            method, subject = item.action, ""
            if item.action == "recover":
                left = [i for i, _ in item.candidates if i not in answer.checked]
                method, subject = "descarcare", left[0] if left else ""
            limits.exhaust(session, row.account_id, row.livemode, item.cif, method, subject, now)
            row.next_attempt_at = limits.next_day(now)
        return
    if _unchecked(row):
        row.next_attempt_at = now  # the candidates are looked at in the next claim
        return
    since = row.upload_unconfirmed_since or now
    if now >= since + RECOVERY_WINDOW:
        log.info("e-invoice %s is not at ANAF after %s; uploaded again", row.id, RECOVERY_WINDOW)
        row.upload_unconfirmed_since = None
        row.unconfirmed_messages = None
        row.attempts = 0
        row.next_attempt_at = now
        return
    row.next_attempt_at = min(now + backoff(row.attempts), since + RECOVERY_WINDOW)


def _messages(texts: Sequence[str]) -> list[dict[str, str]]:
    return [
        {"rule": t[1 : t.index("]")] if t.startswith("[") and "]" in t else "", "message": t}
        for t in texts
    ]


def _uploaded(
    session: Session, tenant: Tenant, row: EInvoice, upload: answers.Upload, now: datetime
) -> None:
    if upload.index is None:
        _reject(session, tenant, row, _messages(upload.errors), now)
        return
    row.upload_unconfirmed_since = None
    row.unconfirmed_messages = None
    row.state = "uploaded"
    row.upload_index = upload.index
    row.uploaded_at = now
    row.attempts = 0
    row.anaf_messages = []
    row.next_attempt_at = now + BACKOFF[0]
    _event(session, tenant, row, payloads.EInvoiceUploaded, now)


def _status(
    session: Session,
    tenant: Tenant,
    row: EInvoice,
    item: Job,
    status: answers.Status,
    now: datetime,
) -> None:
    if status.state in (answers.OK, answers.NOK) and status.download_id:
        row.download_id = status.download_id
        row.attempts = 0
        row.next_attempt_at = now
        return
    if status.state == answers.REFUSED_AT_UPLOAD:
        _reject(session, tenant, row, _messages([status.state]), now)
        return
    if status.errors:
        # About the query, not the document (no rights, an unknown index, the limit).
        row.anaf_messages = _messages(status.errors)
        if status.over_limit:
            limits.exhaust(
                session,
                row.account_id,
                row.livemode,
                item.cif,
                item.action,
                row.upload_index or "",
                now,
            )
            row.next_attempt_at = limits.next_day(now)
            return
    row.next_attempt_at = now + backoff(row.attempts)


def _decided(
    session: Session, tenant: Tenant, row: EInvoice, archive: bytes, now: datetime
) -> None:
    try:
        errors = answers.errors_in_zip(archive)
    except answers.Unreadable as error:
        log.warning("ANAF's answer for %s is unreadable: %s", row.id, error)
        row.next_attempt_at = now + backoff(row.attempts)
        return
    row.answer = archive
    row.decided_at = now
    row.next_attempt_at = None
    if errors:
        _reject(session, tenant, row, errors, now)
        return
    row.state = "accepted"
    row.anaf_messages = []
    _event(session, tenant, row, payloads.EInvoiceAccepted, now)


def _reject(
    session: Session, tenant: Tenant, row: EInvoice, messages: list[dict[str, str]], now: datetime
) -> None:
    row.upload_unconfirmed_since = None
    row.unconfirmed_messages = None
    row.state = "rejected"
    row.anaf_messages = messages
    row.decided_at = now
    row.next_attempt_at = None
    _event(session, tenant, row, payloads.EInvoiceRejected, now)


def _event(
    session: Session,
    tenant: Tenant,
    row: EInvoice,
    kind: type[payloads.EInvoiceData],
    now: datetime,
) -> None:
    payload = kind(
        id=row.id,
        invoice=row.invoice_id,
        credit_note=row.credit_note_id,
        type_code=row.type_code,
        state=row.state,
        upload_index=row.upload_index,
        deadline=row.deadline,
        messages=[payloads.AnafMessage(**m) for m in row.anaf_messages],
    )
    events.record(session, tenant, payload, now)


def _default_anaf() -> Anaf:
    return Anaf.of(get_settings().secret_key.get_secret_value().encode())


def upload_due(units: Units, clock: Clock, limit: int = BATCH, *, anaf: Anaf | None = None) -> int:
    """The worker's step: one staged batch. The settings are read only when there is work,
    so a process without them (a test's worker) claims nothing it cannot send."""
    return staged.run(units, clock, Uploading((lambda: anaf) if anaf else _default_anaf), limit)
