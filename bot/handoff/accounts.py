"""Desk accounts, one per call handler, each tied to one force's queue (or ``national``).

    python -m bot.handoff.accounts add NAME --force gwent     # asks for the password twice
    python -m bot.handoff.accounts add NAME --force gwent --password-stdin < secret
    python -m bot.handoff.accounts add NAME --force gwent --role supervisor
    python -m bot.handoff.accounts role NAME supervisor       # or handler
    python -m bot.handoff.accounts password NAME              # a new password ends its sessions
    python -m bot.handoff.accounts remove NAME
    python -m bot.handoff.accounts list

It writes to the case store the running bot/ reads (``{AIC_DATA_DIR}/handoff.db``, or Redis
when ``AIC_REDIS_URL`` is set), so a new account can log in at once, on every replica.
Passwords are stored as argon2id hashes only. A handler works their force's queue; a supervisor
does too, and also reads their force's anonymous statistics on the desk (``/desk/statistics``).
A change of role holds from the account's next request.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
import time

from bot.handoff.cases import HANDLER_ROLE, ROLES
from bot.handoff.passwords import WeakPassword, hash_password
from bot.handoff.queues import load_forces
from bot.open_stores import StoreUnavailable, open_case_store
from bot.settings import Settings

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the passwords differ")
    return first


async def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        store = await open_case_store(settings, lazy=False)
    except StoreUnavailable as error:
        print(f"the hand-off store cannot be opened: {error}", file=sys.stderr)
        return 1
    try:
        if args.command == "list":
            for account in await store.accounts():
                print(f"{account.username}\t{account.force}\t{account.role}")
            return 0
        name = args.name.lower()
        if args.command == "add":
            if not USERNAME.fullmatch(name):
                print("a name is 2-63 of a-z, 0-9, '.', '_' and '-'", file=sys.stderr)
                return 2
            forces = load_forces(settings.domain_path)
            if args.force not in forces:
                print(f"--force must be one of: {', '.join(forces)}", file=sys.stderr)
                return 2
            if await store.account(name) is not None:
                print(f"{name} exists already", file=sys.stderr)
                return 1
            await store.add_account(
                name,
                args.force,
                hash_password(_password(args.password_stdin)),
                time.time(),
                args.role,
            )
            print(f"added {name} ({args.force}, {args.role})")
            return 0
        if args.command == "role":
            if not await store.set_role(name, args.role):
                print(f"no account {name}", file=sys.stderr)
                return 1
            print(f"{name} is now a {args.role}")
            return 0
        if args.command == "password":
            if not await store.set_password(name, hash_password(_password(args.password_stdin))):
                print(f"no account {name}", file=sys.stderr)
                return 1
            print(f"new password set for {name}; their sessions have ended")
            return 0
        if args.command == "remove":
            if not await store.remove_account(name):
                print(f"no account {name}", file=sys.stderr)
                return 1
            print(f"removed {name}")
            return 0
    except WeakPassword as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        await store.close()
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.handoff.accounts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a handler's account")
    add.add_argument("name")
    add.add_argument("--force", required=True, help="the queue: a force id or 'national'")
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument(
        "--role",
        choices=ROLES,
        default=HANDLER_ROLE,
        help="a supervisor also reads the force's statistics",
    )
    role = commands.add_parser("role", help="make an account a handler or a supervisor")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    password = commands.add_parser("password", help="set a new password")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")
    remove = commands.add_parser("remove", help="remove an account and end its sessions")
    remove.add_argument("name")
    commands.add_parser("list", help="list accounts and their force")
    args = parser.parse_args(argv)
    return asyncio.run(run(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
