"""What the users' service takes and answers, and its refusals (each with a message key the
console shows in the operator's language, and an English detail for the CLI and logs)."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from recura.core.permissions import ROLES, Role
from recura.db.models import User
from recura.domains.common.errors import DomainError

# Keys of the console's catalog (`problem.<key>`) with their English text.
PROBLEMS = {
    "bad_email": "That is not an email address.",
    "email_taken": "This account already has a user with that email address.",
    "bad_role": "Unknown role.",
    "password.too_short": "The password must have at least 12 characters.",
    "password.too_long": "The password is too long.",
    "wrong_password": "The current password is not right.",
    "not_allowed": "Your role may not do that.",
    "last_owner": "The account must keep at least one owner.",
    "not_yourself": "You cannot remove yourself or change your own role.",
    "bad_code": "That code is not right (or has expired). Try the newest one.",
    "no_account": "No such account.",
    "name_required": "The name is required.",
    "password_mismatch": "The two passwords differ.",
}


class UserProblem(DomainError):
    def __init__(self, key: str) -> None:
        super().__init__(PROBLEMS[key])
        self.key = key


def email_address(value: str) -> str:
    """A valid address, lower-cased (so case never makes a second user)."""
    try:
        return validate_email(value.strip()[:320], check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserProblem("bad_email") from None


def role(value: str) -> Role:
    for known in ROLES:
        if value == known:
            return known
    raise UserProblem("bad_role")


@dataclass(frozen=True, slots=True)
class SignIn:
    """What checking an address and password found: the user, or None (wrong address,
    wrong password or locked: the page says the same for each)."""

    user: User | None
    locked: bool = False
