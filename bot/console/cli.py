"""`qp console …`: the console's accounts, from the command line (the first administrator
has to come from somewhere)."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from bot.console.db import session
from catalog import audit, store
from catalog.accounts import ROLES, AccountError, create_account, set_active, set_password
from catalog.files import read_files
from catalog.models import Account
from settings import get_settings


def add_console_parser(commands: argparse._SubParsersAction) -> None:
    console = commands.add_parser("console", help="comptes de la console des conseillers")
    sub = console.add_subparsers(dest="console_command", required=True)
    add = sub.add_parser("add-account", help="crée un compte (conseiller ou administrateur)")
    add.add_argument("email")
    add.add_argument("--name", default="", help="nom affiché (par défaut : l'e-mail)")
    add.add_argument(
        "--role",
        choices=tuple(ROLES),
        default="conseiller",
        help="conseiller (d'un territoire) ou admin",
    )
    add.add_argument("--territoire", help="id du territoire du conseiller (ex. roubaix)")
    add.set_defaults(handler=_add_account)
    sub.add_parser("accounts", help="liste les comptes").set_defaults(handler=_list_accounts)
    for name, help_text, handler in (
        (
            "set-password",
            "change le mot de passe (les sessions ouvertes du compte sont closes)",
            _set_password,
        ),
        ("deactivate", "désactive un compte (connexion refusée, sessions closes)", _deactivate),
        ("activate", "réactive un compte", _activate),
    ):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("email")
        command.set_defaults(handler=handler)


def _read_password() -> str:
    """From QP_NEW_PASSWORD, else asked twice on a terminal, else one line of standard input."""
    password = get_settings().console.new_password
    if password:
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("Mot de passe (de 12 à 256 caractères) : ")
        if getpass.getpass("Confirmez le mot de passe : ") != first:
            raise AccountError("les deux mots de passe diffèrent")
        return first
    return sys.stdin.readline().rstrip("\n")


def _add_account(args: argparse.Namespace) -> int:
    try:
        password = _read_password()
        territories = {t["id"] for t in read_files().territories}
        with session(store.database_url()) as db:
            account = create_account(
                db, args.email, args.name, password, args.role, args.territoire, territories
            )
            audit.record(
                db,
                None,
                "qp console",
                "compte_cree",
                account.email,
                role=account.role,
                territoire=account.territory_id,
            )
            label = f"{ROLES[account.role]}" + (
                f" ({account.territory_id})" if account.territory_id else ""
            )
    except AccountError as error:
        print(f"qp: {error}", file=sys.stderr)
        return 1
    print(f"Compte créé : {args.email.strip().lower()}, {label}.")
    return 0


def _list_accounts(args: argparse.Namespace) -> int:
    with session(store.database_url()) as db:
        accounts = list(db.scalars(select(Account).order_by(Account.email)))
        for a in accounts:
            state = "" if a.active else " (désactivé)"
            print(f"{a.email}\t{ROLES.get(a.role, a.role)}\t{a.territory_id or '-'}{state}")
        if not accounts:
            print("Aucun compte. Créez-en un avec : qp console add-account EMAIL --role admin")
    return 0


def _change(args: argparse.Namespace, action: str, change) -> int:
    try:
        with session(store.database_url()) as db:
            account = change(db)
            audit.record(db, None, "qp console", action, account.email)
            email = account.email
    except AccountError as error:
        print(f"qp: {error}", file=sys.stderr)
        return 1
    print(
        {
            "mot_de_passe_change": f"Mot de passe changé : {email}.",
            "compte_desactive": f"Compte désactivé : {email}.",
            "compte_reactive": f"Compte réactivé : {email}.",
        }[action]
    )
    return 0


def _set_password(args: argparse.Namespace) -> int:
    try:
        password = _read_password()
    except AccountError as error:
        print(f"qp: {error}", file=sys.stderr)
        return 1
    return _change(args, "mot_de_passe_change", lambda db: set_password(db, args.email, password))


def _deactivate(args: argparse.Namespace) -> int:
    return _change(args, "compte_desactive", lambda db: set_active(db, args.email, False))


def _activate(args: argparse.Namespace) -> int:
    return _change(args, "compte_reactive", lambda db: set_active(db, args.email, True))
