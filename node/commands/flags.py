"""Argument types for ids given on the command line: a bad value ends the
command with one line naming its flag (``argument --body: …``), before
anything is read, signed or written."""

from __future__ import annotations

import argparse

from protocol.errors import ProtocolError
from protocol.keys import key_from_text


def hex_id(text: str) -> str:
    """A full 32-byte id as 64 hex digits (a body, message or proposal id),
    given back in lower case."""
    t = text.strip().lower()
    try:
        raw = bytes.fromhex(t)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise argparse.ArgumentTypeError(f"expected an id of 64 hex digits, got {text!r}")
    return t


def hex_ids(text: str) -> str:
    """Comma-separated full ids (heads), each checked as ``hex_id``."""
    try:
        return ",".join(hex_id(h) for h in text.split(",") if h.strip())
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} in {text!r}") from None


def key_text(text: str) -> str:
    """A member or node key in its text form (``ck1…``)."""
    try:
        key_from_text(text.strip())
    except ProtocolError as exc:
        raise argparse.ArgumentTypeError(f"not a key ({exc}): {text!r}") from None
    return text.strip()


def key_texts(text: str) -> str:
    """Comma-separated keys, each checked as ``key_text``."""
    return ",".join(key_text(k) for k in text.split(",") if k.strip())
