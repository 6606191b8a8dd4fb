"""``caracol proposals``: the body's proposals, motions and mandates as a
table a member can read: stage, deadline, tally so far, facilitator by name,
and what you may do now.

It reads the member API's views (``GET …/proposals``, ``…/motions``,
``…/mandates`` with ``?member=&now=``, spec/api.md), the same documents the
members' page shows. ``--keystore`` (or ``--member NAME|ck1…``) says who
"you" are; ``--json`` prints the views as they came.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node import keyfile
from node.client import NodeClient
from node.commands.key import passphrase
from node.errors import NodeError
from protocol.errors import ProtocolError
from protocol.keys import key_from_text, key_to_text, public_key

from .member_state import Refusal, body_id, node_url


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    parser.add_argument("--body", help="body id (default $CARACOL_BODY or the node's only body)")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--keystore", type=Path, help="your keystore: shows what you may do")
    g.add_argument("--member", help="a member's name or ck1 key: shows what they may do")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)


@dataclass
class Source:
    """The node, the body, who is asking and when."""

    client: NodeClient
    body: str
    member: str | None
    now: int

    def get(self, view: str) -> Any:
        query = f"?now={self.now}" + (f"&member={self.member}" if self.member else "")
        return self.client.get(f"/v0/bodies/{self.body}/{view}{query}")


def load(args: argparse.Namespace) -> Source:
    client = NodeClient(node_url(args.node))
    src = Source(client, body_id(client, args.body).hex(), None, int(time.time()))
    if args.keystore is not None:
        src.member = public_key(keyfile.read(args.keystore, passphrase())).hex()
    elif args.member:
        src.member = person_key(src, args.member, "--member")
    return src


def person_key(src: Source, text: str, flag: str) -> str:
    """A person's current key (hex) from a ck1 key or a display name."""
    t = text.strip()
    if t.startswith("ck1"):
        try:
            return key_from_text(t).hex()
        except ProtocolError as exc:
            raise Refusal(f"{flag}: {exc}") from None
    hits = {
        p["key"]
        for p in src.get("people")["people"]
        if (p["name"] or "").casefold() == t.casefold()
    }
    if len(hits) != 1:
        raise Refusal(
            f"{flag}: nobody in this body is named {t!r}"
            if not hits
            else f"{flag}: {len(hits)} people are named {t!r}; give the ck1 key"
        )
    return str(hits.pop())


def name(p: dict[str, Any] | None) -> str:
    """A person as people read them: the name, else the start of the key."""
    if p is None:
        return "—"
    return str(p["name"] or key_to_text(bytes.fromhex(p["key"]))[:14] + "…")


def views(src: Source) -> dict[str, list[dict[str, Any]]]:
    return {
        "proposals": src.get("proposals")["proposals"],
        "motions": src.get("motions")["motions"],
        "mandates": src.get("mandates")["mandates"],
    }


def _what(kind: str, r: dict[str, Any]) -> str:
    if kind == "motions":
        verb = "admit" if r["kind"] == "admission" else "remove"
        return f"{verb} {r['name'] or name(r['member'])}"
    if kind == "mandates":
        return f"mandate {name(r['delegate'])}: {r['scope']}"
    return str(r["title"])


def _tally(t: dict[str, int] | None) -> str:
    if not t:
        return "—"
    return f"{t['for']} for, {t['against']} against, {t['abstain']} abst. of {t['electorate']}"


def _when(t: int | None, now: int) -> str:
    if t is None:
        return "—"
    if t <= now:
        return "passed"
    left = t - now
    return f"in {left // 86400}d {left % 86400 // 3600}h" if left >= 3600 else f"in {left // 60}m"


def _stage(kind: str, r: dict[str, Any]) -> str:
    if kind == "mandates" and r["status"] not in ("nominated",):
        return str(r["status"])
    v = r.get("verdict")
    return str(r["stage"]) + (f" ({v['outcome']})" if v else "")


def table(doc: dict[str, list[dict[str, Any]]], now: int) -> list[str]:
    head = ("id", "what", "stage", "deadline", "tally so far", "facilitator", "you may")
    rows = [
        (
            r["id"][:8],
            _what(kind, r)[:34],
            _stage(kind, r),
            _when(r["deadline"], now),
            _tally(r["tally"]),
            name(r["facilitator"]),
            ", ".join(r["actions"]) or "—",
        )
        for kind in ("proposals", "motions", "mandates")
        for r in doc[kind]
    ]
    if not rows:
        return ["no proposals or motions yet"]
    widths = [max(len(x[i]) for x in (head, *rows)) for i in range(len(head))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (head, *rows)
    ]


def run(args: argparse.Namespace) -> int:
    try:
        src = load(args)
        doc = views(src)
    except (NodeError, ProtocolError, ValueError) as exc:
        print(f"caracol proposals: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print("\n".join(table(doc, src.now)))
    return 0
