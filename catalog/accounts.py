"""Console accounts: creating them, checking a password, and what each account may see.

Passwords are hashed with Argon2id (argon2-cffi); the clear password is never stored or logged.
A password has 12 to 256 characters, the same bounds for `qp console` and for signing in (a
longer one is refused at once, without spending a hash on it). Changing a password or
deactivating an account ends its open sessions (catalog/sessions.py).
An advisor sees one territory; an administrator sees every territory but not the personal
contact details (e-mail, phone) that people left for a territory's advisors.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Account
from catalog.sessions import close_all

ROLES = {"conseiller": "conseiller", "admin": "administrateur"}  # value stored: label shown
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 200  # the accounts.email column
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash("compte inexistant, mot de passe factice")


class AccountError(ValueError):
    """An account cannot be created or changed as asked (French message)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the console's pages and permission checks need them."""

    id: int
    email: str
    name: str
    role: str
    territory: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def can_see(self, territory: str | None) -> bool:
        """Conversations, leads and corrections of `territory` (None: not placed yet)."""
        return self.is_admin or (territory is not None and territory == self.territory)

    def sees_contact_details(self, territory: str | None) -> bool:
        """E-mails and phone numbers are for the territory's own advisors only."""
        return not self.is_admin and territory is not None and territory == self.territory

    @property
    def territories(self) -> tuple[str, ...] | None:
        """The territories in scope; None means all of them."""
        return None if self.is_admin else (self.territory,) if self.territory else ()


def viewer_of(account: Account) -> Viewer:
    return Viewer(account.id, account.email, account.name, account.role, account.territory_id)


def create_account(
    session: Session,
    email: str,
    name: str,
    password: str,
    role: str,
    territory: str | None,
    known_territories: set[str],
) -> Account:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > MAX_EMAIL_LENGTH:
        raise AccountError(
            f"adresse e-mail invalide (une adresse de {MAX_EMAIL_LENGTH} caractères au plus)"
        )
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role} (attendu : {', '.join(ROLES)})")
    if role == "conseiller" and territory not in known_territories:
        raise AccountError(
            "un conseiller doit être rattaché à l'un des 14 territoires "
            f"({', '.join(sorted(known_territories))})"
        )
    if role == "admin":
        territory = None
    _check_password(password)
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise AccountError(f"un compte existe déjà pour {email}")
    account = Account(
        email=email,
        name=name.strip() or email,
        role=role,
        territory_id=territory,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(account)
    session.flush()
    return account


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop long ({MAX_PASSWORD_LENGTH} caractères au plus : la page de "
            "connexion n'en accepte pas davantage)"
        )


def find_account(session: Session, email: str) -> Account:
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        raise AccountError(f"aucun compte pour {email.strip().lower()}")
    return account


def set_password(session: Session, email: str, password: str) -> Account:
    _check_password(password)
    account = find_account(session, email)
    account.password_hash = _hasher.hash(password)
    close_all(session, account.id)
    return account


def set_active(session: Session, email: str, active: bool) -> Account:
    """A deactivated account can no longer sign in, and its open sessions stop at once."""
    account = find_account(session, email)
    account.active = active
    if not active:
        close_all(session, account.id)
    return account


def authenticate(session: Session, email: str, password: str) -> Account | None:
    """The active account with this e-mail and password, else None. A password longer than any
    account may have is refused without computing a hash."""
    if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_EMAIL_LENGTH:
        return None
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None or not account.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account
