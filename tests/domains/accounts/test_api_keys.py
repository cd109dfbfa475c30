from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from recura.domains.accounts import api_keys
from recura.domains.accounts import service as accounts
from recura.domains.accounts.api_key_schemas import ApiKeyCreate
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.audit import changes
from recura.domains.common.errors import ConflictError, InvalidError
from recura.domains.common.tenant import Tenant
from tests.conftest import SECRET, T0


def _account(session: Session) -> str:
    data = AccountCreate(
        legal_name="Keys SRL",
        country="RO",
        default_currency="RON",
        timezone="Europe/Bucharest",
        locale="ro",
        invoice_series_prefix="K",
    )
    return accounts.create_account(session, data, T0).id


def test_a_key_opens_its_tenant_with_its_scope(session: Session) -> None:
    account = _account(session)
    data = ApiKeyCreate(name="reporter", scope="restricted", permissions={"usage": "write"})
    issued = api_keys.issue(session, account, True, data, SECRET.encode(), T0, "ops@example.ro")
    assert issued.token.startswith("rk_live_")
    assert issued.key.key_hash != issued.token
    assert issued.token not in issued.key.key_hash
    assert issued.key.created_by == "ops@example.ro"

    holder = api_keys.authenticate(session, issued.token, SECRET.encode())
    assert holder is not None
    assert holder.tenant == Tenant(account, livemode=True)
    assert (holder.key_id, holder.scope, dict(holder.permissions)) == (
        issued.key.id,
        "restricted",
        {"usage": "write"},
    )
    assert holder.actor.kind == "api_key"
    assert holder.actor.label == f"reporter (rk_live_…{issued.token[-4:]})"
    # The mode is part of the key: the same body under the other prefix opens nothing.
    forged = "rk_test_" + issued.token.removeprefix("rk_live_")
    assert api_keys.authenticate(session, forged, SECRET.encode()) is None

    api_keys.revoke(session, issued.key, T0)
    assert api_keys.authenticate(session, issued.token, SECRET.encode()) is None
    with pytest.raises(ConflictError):
        api_keys.revoke(session, issued.key, T0)


def test_a_restricted_key_without_valid_permissions_is_refused(session: Session) -> None:
    account = _account(session)
    data = ApiKeyCreate(name="x", scope="restricted", permissions={"api_keys": "write"})
    with pytest.raises(InvalidError) as raised:
        api_keys.issue(session, account, False, data, SECRET.encode(), T0, "cli")
    assert raised.value.errors[0].pointer == "/permissions"


def test_uses_move_last_used_forward_only(session: Session) -> None:
    account = _account(session)
    key = accounts.issue_key(session, account, False, "k", SECRET.encode(), T0).key
    later = T0 + timedelta(minutes=5)
    api_keys.record_uses(session, [(account, key.id, later)])
    api_keys.record_uses(session, [(account, key.id, T0)])  # another process, behind
    session.refresh(key)
    assert key.last_used_at == later


def test_issuing_and_revoking_note_their_change_for_the_audit_log(session: Session) -> None:
    account = _account(session)
    key = accounts.issue_key(session, account, False, "k", SECRET.encode(), T0).key
    made = changes.take(session)
    assert made is not None
    assert set(made) == {"name", "scope", "permissions"}
    assert "key_hash" not in str(made)
    api_keys.revoke(session, key, T0)
    assert changes.take(session) == {
        "revoked_at": {"before": None, "after": T0.isoformat()},
    }
