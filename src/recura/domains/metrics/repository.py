"""Every query of the metric rollups: the fold's cursor, the events past it, the
customers' fold states, the movements and the daily totals, the month movements and the
monthly totals."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import (
    ARRAY,
    Row,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import (
    Account,
    AcquisitionSpend,
    Customer,
    Event,
    MetricCursor,
    MetricCustomerState,
    MetricRollupDaily,
    MetricRollupMonthly,
    MrrMonthMovement,
    MrrMovement,
    Plan,
    Product,
    Subscription,
)
from recura.db.models.metric_rollup_daily import ALL, NONE
from recura.domains.common.tenant import Tenant

DIMENSIONS = ("country", "channel")
TYPES = ("new", "expansion", "contraction", "churn", "reactivation")
TOTALS = (*TYPES, *(f"{t}_customers" for t in TYPES))
MONTH_TOTALS = (*TOTALS, "joined")


@dataclass(frozen=True, slots=True)
class Segment:
    """What a read counts: the customers of `country` and `channel` (None: any), and of
    them the subscriptions of `scope` (`ALL`: every one; a plan's or product's id)."""

    country: str | None = None
    channel: str | None = None
    scope: str = ALL


EVERYONE = Segment()


def _dialect(session: Session) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def lock_cursor(session: Session, name: str) -> MetricCursor:
    """The fold's cursor, made if missing, held until commit: one fold at a time. An idle
    pass only reads (on SQLite it must not take the write lock for nothing)."""
    stmt = select(MetricCursor).where(MetricCursor.name == name).with_for_update()
    found = session.scalars(stmt).first()
    if found is not None:
        return found
    insert = _dialect(session).insert(MetricCursor).values(name=name, last_event_id=None)
    session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
    return session.scalars(stmt).one()


def mrr_events(
    session: Session,
    after: str | None,
    before: str | None,
    limit: int,
    tenant: Tenant | None = None,
) -> Sequence[tuple[Row[Any], str, dict[str, Any]]]:
    """Events that changed MRR, and subscription updates (a scheduled cancellation), with
    ids in (after, before), in id order, each with its account's time zone and metric
    settings. The condition is the partial index's, word for word, so it is used."""
    stmt = (
        select(*_FOLDED_COLUMNS, Account.timezone, Account.metric_settings)
        .join(Account, Account.id == Event.account_id)
        .where(text(_FOLDED), Event.mrr_currency.is_not(None))
        .order_by(Event.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Event.id > after)
    if before is not None:
        stmt = stmt.where(Event.id < before)
    if tenant is not None:
        stmt = stmt.where(Event.account_id == tenant.account_id, Event.livemode == tenant.livemode)
    return [(row, row.timezone, row.metric_settings) for row in session.execute(stmt)]


# What the fold reads of an event, as plain rows: loading a renewal pass's events as
# entities (identity map, change tracking) cost more than folding them.
_FOLDED_COLUMNS = (
    Event.id,
    Event.account_id,
    Event.livemode,
    Event.type,
    Event.object_id,
    Event.data,
    Event.occurred_at,
    Event.mrr_delta,
    Event.mrr_currency,
)


# ix_events_mrr_changes's condition (db/models/event.py), as written there: PostgreSQL
# uses a partial index only for a condition it can prove implies the index's.
_FOLDED = (
    "(events.mrr_delta <> 0 OR events.type IN ('subscription.updated', 'subscription.renewed'))"
)


StateKey = tuple[str, bool, str, str, str]  # account, livemode, scope, customer, currency


def _stored(stmt: Any) -> Any:
    """`stmt` reading the rows as stored now. The fold writes them with Core statements
    (upserts, deletes), which leave the session's copies of rows it read before as they
    were: a rebuild, one transaction of many batches, would otherwise take a value an
    earlier batch replaced."""
    return stmt.execution_options(populate_existing=True)


def _among(session: Session, column: Any, values: Sequence[str]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter: the driver
    parses a statement's text for its placeholders, and thousands of them cost more
    than the query (a year's movers' standings spent most of its time there)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


def _by_tenant(model: Any, keys: Collection[tuple[Any, ...]], column: str, at: int) -> Any:
    """A condition matching rows of `keys` (account, livemode first): per tenant, `column`
    among the keys' values at position `at`. Equality on the primary key's leading columns
    and one `IN` list lets PostgreSQL use the key's index whatever its statistics say; a
    list of row values (`(a, b, c) IN (...)`) was planned as a scan while the rollup
    tables were young. Callers still compare the whole key where it matters."""
    groups: dict[tuple[str, bool], set[Any]] = {}
    for key in keys:
        groups.setdefault((key[0], key[1]), set()).add(key[at])
    return or_(
        *(
            and_(
                model.account_id == account,
                model.livemode == live,
                getattr(model, column).in_(sorted(values)),
            )
            for (account, live), values in groups.items()
        )
    )


# account, livemode, customer, currency
CustomerKey = tuple[str, bool, str, str]


def states(session: Session, keys: Collection[CustomerKey]) -> list[Row[Any]]:
    """The stored states of the customers of `keys` in their currencies, every scope, as
    plain rows (read as entities, a batch's thousand states cost more than its fold)."""
    if not keys:
        return []
    wanted = set(keys)
    stmt = select(*MetricCustomerState.__table__.columns).where(
        _by_tenant(MetricCustomerState, wanted, "customer_id", 2)
    )
    return [
        row
        for row in session.execute(stmt)
        if (row.account_id, row.livemode, row.customer_id, row.currency) in wanted
    ]


def products_of(session: Session, plans: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(account, plan) -> the plan's product, of `plans`."""
    if not plans:
        return {}
    stmt = select(Plan.account_id, Plan.id, Plan.product_id).where(
        or_(
            *(
                and_(Plan.account_id == account, Plan.id.in_(sorted(ids)))
                for account, ids in _grouped(plans).items()
            )
        )
    )
    return {(account, plan): product for account, plan, product in session.execute(stmt)}


def _grouped(pairs: Collection[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for first, second in pairs:
        found.setdefault(first, set()).add(second)
    return found


def save_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = _dialect(session).insert(MetricCustomerState)
    changed = ("day", "opening", "mrr", "earned", "churned_on", "subscriptions")
    stmt = insert.on_conflict_do_update(
        index_elements=["account_id", "livemode", "scope", "customer_id", "currency"],
        set_={name: insert.excluded[name] for name in changed},
    )
    session.execute(stmt, list(rows))


# account, livemode, scope, day, currency, customer
MovementKey = tuple[str, bool, str, date, str, str]


def _movement_cols() -> tuple[Any, ...]:
    return (
        MrrMovement.account_id,
        MrrMovement.livemode,
        MrrMovement.scope,
        MrrMovement.day,
        MrrMovement.currency,
        MrrMovement.customer_id,
    )


def movements_at(session: Session, keys: Collection[MovementKey]) -> list[MrrMovement]:
    if not keys:
        return []
    wanted = set(keys)
    stmt = select(MrrMovement).where(
        _by_tenant(MrrMovement, wanted, "customer_id", 5),
        MrrMovement.day.in_(sorted({k[3] for k in wanted})),
    )
    stmt = _stored(stmt)
    return [row for row in session.scalars(stmt) if movement_key(row) in wanted]


def movement_key(row: MrrMovement) -> MovementKey:
    return (row.account_id, row.livemode, row.scope, row.day, row.currency, row.customer_id)


def replace_movements(
    session: Session, gone: Collection[MovementKey], rows: Sequence[dict[str, Any]]
) -> None:
    """Delete the movements of `gone` and write `rows` (a key's new movement)."""
    if gone:
        stmt = delete(MrrMovement).where(tuple_(*_movement_cols()).in_(list(gone)))
        session.execute(stmt.execution_options(synchronize_session=False))
    if rows:
        insert = _dialect(session).insert(MrrMovement)
        stmt = insert.on_conflict_do_update(
            index_elements=["account_id", "livemode", "scope", "day", "currency", "customer_id"],
            set_={name: insert.excluded[name] for name in ("type", "amount", *DIMENSIONS)},
        )
        session.execute(stmt, list(rows))


def add_to_totals(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's amounts and counts to its day's totals (made if missing); then drop
    the touched days left at zero, so folding in pieces leaves what one fold leaves."""
    names = ("account_id", "livemode", "scope", "day", "currency", *DIMENSIONS)
    _add(session, MetricRollupDaily, names, TOTALS, rows)


def _add(
    session: Session,
    model: Any,
    names: Sequence[str],
    sums: Sequence[str],
    rows: Sequence[dict[str, Any]],
) -> None:
    """Add `rows` to the totals of `model` keyed by `names`; drop those left at zero.

    Only a row that takes a customer away can leave its totals at zero: an amount is
    non-zero only while a customer of its type is counted. So only those rows' keys are
    looked up again (a first fold, or a rebuild, adds and looks up none)."""
    if not rows:
        return
    table = model.__table__
    insert = _dialect(session).insert(model)
    stmt = insert.on_conflict_do_update(
        index_elements=list(names),
        set_={name: table.c[name] + insert.excluded[name] for name in sums},
    )
    session.execute(stmt, list(rows))
    counts = [name for name in sums if name.endswith("_customers") or name == "joined"]
    keys = [tuple(r[name] for name in names) for r in rows if any(r[name] < 0 for name in counts)]
    if not keys:
        return
    cols = tuple(table.c[name] for name in names)
    empty = and_(*(table.c[name] == 0 for name in sums))
    session.execute(
        delete(model)
        .where(tuple_(*cols).in_(keys), empty)
        .execution_options(synchronize_session=False)
    )


# (account, livemode, scope, customer, currency, day, type, amount)
StoredMovement = tuple[str, bool, str, str, str, date, str, int]
# (account, livemode, scope, customer, currency, month, cohort, type, amount, country,
# channel)
StoredMonthMovement = tuple[str, bool, str, str, str, date, date, str | None, int, str, str]


def movements_of(session: Session, keys: Collection[StateKey]) -> list[StoredMovement]:
    """Every movement of the customers of `keys` (in their currencies), whole history, as
    plain rows."""
    if not keys:
        return []
    wanted = set(keys)
    m = MrrMovement
    stmt = select(
        m.account_id, m.livemode, m.scope, m.customer_id, m.currency, m.day, m.type, m.amount
    ).where(_by_tenant(m, wanted, "customer_id", 3))
    return [tuple(row) for row in session.execute(stmt) if tuple(row[:5]) in wanted]  # type: ignore[misc]


def month_movements_of(session: Session, keys: Collection[StateKey]) -> list[StoredMonthMovement]:
    """Every month movement of the customers of `keys` (in their currencies), as plain
    rows."""
    if not keys:
        return []
    wanted = set(keys)
    m = MrrMonthMovement
    stmt = select(*_month_columns()).where(_by_tenant(m, wanted, "customer_id", 3))
    return [tuple(row) for row in session.execute(stmt) if tuple(row[:5]) in wanted]


def _month_columns() -> tuple[Any, ...]:
    m = MrrMonthMovement
    return (
        m.account_id,
        m.livemode,
        m.scope,
        m.customer_id,
        m.currency,
        m.month,
        m.cohort,
        m.type,
        m.amount,
        m.country,
        m.channel,
    )


# account, livemode, scope, currency, month, customer
MonthKey = tuple[str, bool, str, str, date, str]


def replace_month_movements(
    session: Session, gone: Collection[MonthKey], rows: Sequence[dict[str, Any]]
) -> None:
    """Delete the month movements of `gone` and write `rows` (a key's new one)."""
    m = MrrMonthMovement
    cols = (m.account_id, m.livemode, m.scope, m.currency, m.month, m.customer_id)
    if gone:
        stmt = delete(m).where(tuple_(*cols).in_(list(gone)))
        session.execute(stmt.execution_options(synchronize_session=False))
    if rows:
        insert = _dialect(session).insert(m)
        stmt = insert.on_conflict_do_update(
            index_elements=["account_id", "livemode", "scope", "currency", "month", "customer_id"],
            set_={
                name: insert.excluded[name] for name in ("cohort", "type", "amount", *DIMENSIONS)
            },
        )
        session.execute(stmt, list(rows))


def add_to_month_totals(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add each row's amounts and counts to its month and cohort's totals (made if
    missing); then drop the touched ones left at zero, as `add_to_totals` does."""
    names = ("account_id", "livemode", "scope", "currency", "month", "cohort", *DIMENSIONS)
    _add(session, MetricRollupMonthly, names, MONTH_TOTALS, rows)


def dimensions_for(
    session: Session, keys: Collection[StateKey]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(account, customer) -> its (country, acquisition channel) as the rollups count
    them (`NONE` for either it has not), of the customers of `keys`."""
    if not keys:
        return {}
    c = Customer
    stmt = select(c.account_id, c.id, c.country, c.acquisition_channel).where(
        _by_tenant(c, keys, "id", 3)
    )
    return {
        (account, customer): (country or NONE, channel or NONE)
        for account, customer, country, channel in session.execute(stmt)
    }


# (scope, currency, day, type, amount, country, channel)
CustomerDay = tuple[str, str, date, str, int, str, str]


def customer_movements(session: Session, tenant: Tenant, customer: str) -> list[CustomerDay]:
    """A customer's day movements, every scope and currency, with the country and channel
    each is counted under."""
    m = MrrMovement
    stmt = select(m.scope, m.currency, m.day, m.type, m.amount, m.country, m.channel).where(
        m.account_id == tenant.account_id,
        m.livemode == tenant.livemode,
        m.customer_id == customer,
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def customer_month_movements(
    session: Session, tenant: Tenant, customer: str
) -> list[StoredMonthMovement]:
    """A customer's month movements, every scope and currency, as `month_movements_of`
    gives them."""
    m = MrrMonthMovement
    stmt = select(*_month_columns()).where(
        m.account_id == tenant.account_id,
        m.livemode == tenant.livemode,
        m.customer_id == customer,
    )
    return [tuple(row) for row in session.execute(stmt)]


def set_dimensions(
    session: Session, tenant: Tenant, customer: str, country: str, channel: str
) -> None:
    """Record the country and channel the customer's movements are now counted under."""
    for m in (MrrMovement, MrrMonthMovement):
        stmt = (
            update(m)
            .where(
                m.account_id == tenant.account_id,
                m.livemode == tenant.livemode,
                m.customer_id == customer,
            )
            .values(country=country, channel=channel)
        )
        session.execute(stmt.execution_options(synchronize_session=False))


def clear(session: Session, tenant: Tenant | None) -> None:
    """Forget the rollups (of one tenant, or all) before a rebuild."""
    models = (
        MetricCustomerState,
        MrrMovement,
        MetricRollupDaily,
        MrrMonthMovement,
        MetricRollupMonthly,
    )
    for model in models:
        stmt = delete(model)
        if tenant is not None:
            stmt = stmt.where(
                model.account_id == tenant.account_id, model.livemode == tenant.livemode
            )
        session.execute(stmt.execution_options(synchronize_session=False))


def _slice(model: Any, segment: Segment) -> tuple[Any, Any, Any]:
    """The totals rows of `segment`, one per day or month and cohort (`ALL` stands for
    any)."""
    return (
        model.scope == segment.scope,
        model.country == (ALL if segment.country is None else segment.country),
        model.channel == (ALL if segment.channel is None else segment.channel),
    )


def _chosen(model: Any, segment: Segment) -> list[Any]:
    """The movements of `segment`."""
    found = [model.scope == segment.scope]
    if segment.country is not None:
        found.append(model.country == segment.country)
    if segment.channel is not None:
        found.append(model.channel == segment.channel)
    return found


def totals(
    session: Session,
    tenant: Tenant,
    until: date,
    currency: str | None,
    segment: Segment = EVERYONE,
) -> Sequence[MetricRollupDaily]:
    """The tenant's daily totals up to `until`, by day (the MRR of a day sums them), of
    `segment`."""
    t = MetricRollupDaily
    stmt = select(t).where(
        t.account_id == tenant.account_id,
        t.livemode == tenant.livemode,
        *_slice(t, segment),
        t.day <= until,
    )
    if currency is not None:
        stmt = stmt.where(t.currency == currency)
    return session.scalars(stmt.order_by(t.day)).all()


def currencies(
    session: Session,
    tenant: Tenant,
    until: date,
    segment: Segment = EVERYONE,
) -> list[str]:
    """The currencies `segment` moved in up to `until`."""
    t = MetricRollupDaily
    stmt = select(t.currency).where(
        t.account_id == tenant.account_id,
        t.livemode == tenant.livemode,
        *_slice(t, segment),
        t.day <= until,
    )
    return sorted(session.scalars(stmt.distinct()).all())


def movements_between(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str | None,
    segment: Segment = EVERYONE,
) -> Sequence[MrrMovement]:
    """The tenant's customer movements of days in [start, end] (of customers of
    `segment`)."""
    stmt = select(MrrMovement).where(
        MrrMovement.account_id == tenant.account_id,
        MrrMovement.livemode == tenant.livemode,
        MrrMovement.day >= start,
        MrrMovement.day <= end,
        *_chosen(MrrMovement, segment),
    )
    if currency is not None:
        stmt = stmt.where(MrrMovement.currency == currency)
    return session.scalars(stmt.order_by(MrrMovement.day, MrrMovement.customer_id)).all()


def exists(session: Session, tenant: Tenant, kind: Literal["plan", "product"], id_: str) -> bool:
    model: Any = Plan if kind == "plan" else Product
    stmt = tenant.scope(select(model.id), model).where(model.id == id_)
    return session.scalars(stmt.limit(1)).first() is not None


def count_by_status(
    session: Session, tenant: Tenant, currency: str | None, segment: Segment = EVERYONE
) -> dict[str, int]:
    s = Subscription
    stmt = tenant.scope(select(s.status, func.count()), s)
    if currency is not None:
        stmt = stmt.where(s.currency == currency)
    if segment.scope != ALL:
        of_product = tenant.scope(select(Plan.id), Plan).where(Plan.product_id == segment.scope)
        stmt = stmt.where(or_(s.plan_id == segment.scope, s.plan_id.in_(of_product)))
    if segment.country is not None or segment.channel is not None:
        chosen = tenant.scope(select(Customer.id), Customer)
        if segment.country is not None:
            chosen = chosen.where(Customer.country == segment.country)
        if segment.channel is not None:
            chosen = chosen.where(Customer.acquisition_channel == segment.channel)
        stmt = stmt.where(s.customer_id.in_(chosen))
    rows = session.execute(stmt.group_by(s.status)).all()
    return {status: count for status, count in sorted(rows)}


# ------------------------------------------------------------------- reads of the ratios

MovementRow = tuple[date, str, str, str, int]  # day, customer, currency, type, amount


def metric_settings(session: Session, account_id: str) -> tuple[dict[str, Any], str]:
    """The account's stored metric settings and its default currency."""
    stmt = select(Account.metric_settings, Account.default_currency).where(Account.id == account_id)
    found = session.execute(stmt).one()
    return dict(found[0] or {}), found[1]


def movement_rows(
    session: Session,
    tenant: Tenant,
    start: date | None,
    end: date,
    currency: str,
    segment: Segment = EVERYONE,
) -> list[MovementRow]:
    """The tenant's movements of days in [start, end] in one currency (of customers of
    `segment`), as plain rows (a ratio over a year reads many: no ORM
    objects)."""
    m = MrrMovement
    stmt = select(m.day, m.customer_id, m.currency, m.type, m.amount).where(
        m.account_id == tenant.account_id,
        m.livemode == tenant.livemode,
        m.currency == currency,
        m.day <= end,
        *_chosen(m, segment),
    )
    if start is not None:
        stmt = stmt.where(m.day >= start)
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def standings_of_movers(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    segment: Segment = EVERYONE,
) -> list[tuple[str, int, date | None]]:
    """For each customer (of `segment`) with a movement in [start, end]:
    the sum of its movements before `start` and its last churn day before it (customers
    with none before are left out).
    The movers are read first and then looked up by the customer index in chunks: a
    subquery was planned as a nested scan when the table's statistics were old."""
    m = MrrMovement
    of_tenant = (m.account_id == tenant.account_id, m.livemode == tenant.livemode)
    movers = session.scalars(
        select(m.customer_id)
        .distinct()
        .where(
            *of_tenant,
            m.currency == currency,
            m.day >= start,
            m.day <= end,
            *_chosen(m, segment),
        )
    ).all()
    churn_day = func.max(case((m.type == "churn", m.day)))
    found: list[tuple[str, int, date | None]] = []
    for index in range(0, len(movers), _CHUNK):
        stmt = (
            select(m.customer_id, func.sum(m.amount), churn_day)
            .where(
                *of_tenant,
                _among(session, m.customer_id, movers[index : index + _CHUNK]),
                m.scope == segment.scope,
                m.currency == currency,
                m.day < start,
            )
            .group_by(m.customer_id)
        )
        found.extend((c, int(total), last) for c, total, last in session.execute(stmt))
    return found


_CHUNK = 5000


def channels_of(session: Session, tenant: Tenant, customers: Collection[str]) -> dict[str, str]:
    """customer -> acquisition channel, of those that have one."""
    found: dict[str, str] = {}
    listed = list(customers)
    for index in range(0, len(listed), 5000):
        stmt = tenant.scope(select(Customer.id, Customer.acquisition_channel), Customer).where(
            Customer.id.in_(listed[index : index + 5000]),
            Customer.acquisition_channel.is_not(None),
        )
        found.update({c: str(ch) for c, ch in session.execute(stmt)})
    return found


def spend_between(
    session: Session, tenant: Tenant, start: date, end: date
) -> list[tuple[date, str, int, str]]:
    """Acquisition spend of the months in [start, end]: (month, channel, amount, currency)."""
    a = AcquisitionSpend
    stmt = tenant.scope(select(a.month, a.channel, a.amount, a.currency), a).where(
        a.month >= start, a.month <= end
    )
    return [tuple(row) for row in session.execute(stmt.order_by(a.month, a.channel))]  # type: ignore[misc]


def moved_between(
    session: Session,
    tenant: Tenant,
    currency: str,
    start: date,
    end: date,
    segment: Segment = EVERYONE,
) -> bool:
    """Whether any customer (of `segment`) moved in one currency on a day
    in [start, end]."""
    t = MetricRollupDaily
    stmt = select(t.day).where(
        t.account_id == tenant.account_id,
        t.livemode == tenant.livemode,
        *_slice(t, segment),
        t.currency == currency,
        t.day >= start,
        t.day <= end,
    )
    return session.scalars(stmt.limit(1)).first() is not None


def month_totals(
    session: Session,
    tenant: Tenant,
    cohorts: tuple[date, date],
    until: date,
    currency: str,
    segment: Segment = EVERYONE,
) -> Sequence[MetricRollupMonthly]:
    """The tenant's monthly totals (of `segment`) of the
    cohorts of the months in `cohorts` (first days), of the months up to `until`'s."""
    t = MetricRollupMonthly
    stmt = select(t).where(
        t.account_id == tenant.account_id,
        t.livemode == tenant.livemode,
        *_slice(t, segment),
        t.currency == currency,
        t.cohort >= cohorts[0],
        t.cohort <= cohorts[1],
        t.month <= until,
    )
    return session.scalars(stmt.order_by(t.month, t.cohort)).all()


def month_sums(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    segment: Segment = EVERYONE,
) -> dict[date, dict[str, int]]:
    """month -> its totals summed over the cohorts (of `segment`), of the months from
    `start`'s to `end`."""
    t = MetricRollupMonthly
    stmt = (
        select(t.month, *(func.sum(t.__table__.c[name]) for name in MONTH_TOTALS))
        .where(
            t.account_id == tenant.account_id,
            t.livemode == tenant.livemode,
            *_slice(t, segment),
            t.currency == currency,
            t.month >= start.replace(day=1),
            t.month <= end,
        )
        .group_by(t.month)
    )
    return {
        row[0]: {name: int(value) for name, value in zip(MONTH_TOTALS, row[1:], strict=True)}
        for row in session.execute(stmt)
    }


def new_by_channel(
    session: Session,
    tenant: Tenant,
    start: date,
    end: date,
    currency: str,
    segment: Segment = EVERYONE,
) -> list[tuple[date, str, int]]:
    """Customers (of `segment`; of every channel unless it names one) netted as new business in the
    months from `start`'s to `end`, counted per month and acquisition channel (of those
    that have one): the monthly totals per channel, summed over the cohorts."""
    t = MetricRollupMonthly
    channel = segment.channel
    chosen = [t.channel == channel] if channel is not None else [t.channel.not_in((ALL, NONE))]
    stmt = (
        select(t.month, t.channel, func.sum(t.new_customers))
        .where(
            t.account_id == tenant.account_id,
            t.livemode == tenant.livemode,
            t.scope == segment.scope,
            t.country == (ALL if segment.country is None else segment.country),
            *chosen,
            t.currency == currency,
            t.month >= start.replace(day=1),
            t.month <= end,
            t.new_customers != 0,
        )
        .group_by(t.month, t.channel)
    )
    return [(month, found, int(count)) for month, found, count in session.execute(stmt)]
