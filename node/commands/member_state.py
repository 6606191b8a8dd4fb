"""What a member's command knows before it signs: the body's log, folded here.

Every ``caracol member`` action fetches the body's messages from the node,
folds them with ``protocol.assembly.Assembly`` (the same fold every node
runs) and checks what it can against that state before signing: the stage,
membership, the electorate. After submitting it folds again to say what the
process did with the message (taken, or ignored and why), unless the node's
answer already says so (``process`` in the result).

Ids are accepted as full hex or as an unambiguous hex prefix of at least 8
digits; people as a ``ck1…`` key or a display name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from crdt.log import Log
from node.client import NodeClient
from node.errors import NodeError
from protocol import envelope
from protocol.assembly import Assembly
from protocol.errors import ProtocolError
from protocol.justice import Council, is_council
from protocol.keys import key_from_text, key_to_text

MIN_PREFIX = 8
PAGE = 5000


class Refusal(NodeError):
    """An action the command refuses before signing (one line, exit 1)."""

    code = "refused"


def body_id(client: NodeClient, given: str | None, flag: str = "--body") -> bytes:
    """``flag`` (``--body``), else ``$CARACOL_BODY``, else the node's only body."""
    text = given or os.environ.get("CARACOL_BODY")
    if given is None and text:
        flag = "$CARACOL_BODY"
    if not text:
        bodies = client.bodies()
        if len(bodies) != 1:
            raise Refusal(f"{flag}: the node holds {len(bodies)} bodies; name one")
        text = str(bodies[0]["id"])
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise Refusal(f"{flag}: {text!r} is not hex") from None
    if len(raw) != 32:
        raise Refusal(f"{flag}: a body id has 64 hex digits, got {len(text)}")
    return raw


def node_url(given: str | None) -> str:
    url = given or os.environ.get("CARACOL_NODE")
    if not url:
        raise Refusal("--node: give the node's URL (or set CARACOL_NODE)")
    return url


def fetch_log(client: NodeClient, body: bytes) -> Log:
    """Every message of the body the node holds, as a local log."""
    log = Log(body)
    start = 0
    while True:
        page = client.get(f"/v0/bodies/{body.hex()}/messages?start={start}&limit={PAGE}")
        raws = [bytes.fromhex(m) for m in page["messages"]]
        for raw in raws:
            log.add(envelope.decode_untrusted(raw, body))
        start += len(raws)
        if not raws or start >= int(page["total"]):
            return log


def fold(client: NodeClient, body: bytes) -> Assembly:
    """The body's fold; a justice council's against its Community's log
    from the same node (spec/justice.md), when the node holds it."""
    log = fetch_log(client, body)
    genesis = log.get(body)
    if not is_council(genesis):
        return Assembly(body).fold(log)
    parent = getattr(genesis.payload, "parent", None)
    held = {str(b["id"]) for b in client.bodies()}
    community = None
    if parent is not None and parent.hex() in held:
        community = Assembly(parent).fold(fetch_log(client, parent))
    return Council(body, community).fold(log)


def resolve_id(text: str, candidates: Iterable[bytes], flag: str, what: str) -> bytes:
    """A full hex id or an unambiguous prefix (>= 8 hex digits) among ``candidates``."""
    t = text.strip().lower()
    try:
        bytes.fromhex(t if len(t) % 2 == 0 else t + "0")
    except ValueError:
        raise Refusal(f"{flag}: {text!r} is not hex") from None
    if len(t) == 64:
        full = bytes.fromhex(t)
        if full in set(candidates):
            return full
        raise Refusal(f"{flag}: no {what} {t[:16]}… in this body")
    if len(t) < MIN_PREFIX:
        raise Refusal(f"{flag}: give at least {MIN_PREFIX} hex digits of the {what} id")
    found = sorted({c for c in candidates if c.hex().startswith(t)})
    if not found:
        raise Refusal(f"{flag}: no {what} starts with {t}")
    if len(found) > 1:
        raise Refusal(f"{flag}: {t} matches {len(found)} {what}s; give more digits")
    return found[0]


def name_of(a: Assembly, identity: bytes) -> str | None:
    rec = a.names.of(identity)
    return rec.name if rec is not None else None


def who(a: Assembly, identity: bytes) -> str:
    """A name for people to read: the display name, else the key's start."""
    return name_of(a, identity) or key_to_text(identity)[:14] + "…"


def resolve_person(a: Assembly, text: str, flag: str) -> bytes:
    """A member's current key from a ``ck1…`` key or a display name."""
    t = text.strip()
    if t.startswith("ck1"):
        try:
            return key_from_text(t)
        except (ProtocolError, ValueError) as exc:
            raise Refusal(f"{flag}: {exc}") from None
    roster = a.roster()
    hits = {
        roster.key_of(i) if i in roster else i
        for i, rec in a.names.all().items()
        if rec.name.casefold() == t.casefold()
    }
    if not hits:
        raise Refusal(f"{flag}: nobody in this body is named {t!r}")
    if len(hits) > 1:
        raise Refusal(f"{flag}: {len(hits)} people are named {t!r}; give the ck1 key")
    return hits.pop()


def my_identity(a: Assembly, key: bytes) -> bytes:
    identity = a.roster().identity_of(key)
    if identity is None and isinstance(a, Council):
        why = a.why_not_member(key, a.latest_time())
        raise Refusal(f"you ({key_to_text(key)[:14]}…) are not a member of this council: {why}")
    if identity is None:
        raise Refusal(f"you ({key_to_text(key)[:14]}…) are not a member of this body")
    return identity
