"""``caracol key``: create and inspect keys and encrypted keystores.

The passphrase comes from the environment variable CARACOL_PASSPHRASE when
set (for scripts), otherwise from a prompt that does not echo.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from node import keyfile
from protocol import keystore
from protocol.errors import BadKeyText, KeystoreError
from protocol.keys import key_from_text, key_to_text, public_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    new = sub.add_parser("new", help="create a new key in an encrypted keystore file")
    new.add_argument("--keystore", required=True, help="path of the keystore file to create")
    show = sub.add_parser("show", help="print a keystore's public key (no passphrase needed)")
    show.add_argument("--keystore", required=True)
    check = sub.add_parser("unlock", help="check that the passphrase opens a keystore")
    check.add_argument("--keystore", required=True)
    parse = sub.add_parser("parse", help="check a key's text form; print it as hex")
    parse.add_argument("text")


def ask_secret(prompt: str) -> str:
    """A passphrase or PIN: asked without echo on a terminal, else read as
    one line from standard input (a script's pipe). Nothing to read raises
    ``EOFError``, which ``caracol`` reports in one line naming the
    environment variables to set."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise EOFError(prompt)
    return line.rstrip("\r\n")


def passphrase(confirm: bool = False) -> str:
    env = os.environ.get("CARACOL_PASSPHRASE")
    if env is not None:
        return env
    first = ask_secret("passphrase: ")
    if confirm and ask_secret("again: ") != first:
        raise KeystoreError("the two passphrases differ")
    return first


def run(args: argparse.Namespace) -> int:
    try:
        if args.key_command == "new":
            seed = os.urandom(32)
            keyfile.write(args.keystore, seed, passphrase(confirm=True))
            print(key_to_text(public_key(seed)))
        elif args.key_command == "show":
            print(key_to_text(keystore.info(keyfile.read_bytes(args.keystore)).public_key))
        elif args.key_command == "unlock":
            seed = keyfile.read(args.keystore, passphrase())
            print(f"unlocked {key_to_text(public_key(seed))}")
        elif args.key_command == "parse":
            print(key_from_text(args.text).hex())
    except (KeystoreError, BadKeyText) as exc:
        print(f"caracol key: {exc}", file=sys.stderr)
        return 1
    return 0
