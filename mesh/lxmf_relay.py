"""Store-and-forward of signed Caracol messages through LXMF propagation nodes.

When a Caracol peer cannot be reached now (its node is off, or no Reticulum
link comes up), a node deposits the messages the peer lacks with an LXMF
propagation node, addressed to the peer's LXMF delivery destination
(``lxmf.delivery`` of the peer's Reticulum identity); the propagation node
holds them (LXMF encrypts them for the recipient, so it cannot read them)
until the peer comes back and collects them.

The payload is a sneakernet bundle (``protocol/sneakernet.py``: body, the writer's
heads, the messages, a digest over their ids) in the LXMF message's custom
fields: ``FIELD_CUSTOM_TYPE`` = ``caracol-bundle/0``, ``FIELD_CUSTOM_DATA`` =
the bundle's bytes. A bundle, because it is already the form in which
messages travel without a session: it names its body, carries the writer's
heads (what the next deposit can leave out), and its digest refuses a
truncated or altered deposit as a whole before anything is parsed further.
Every message in it is signed by its author, so neither LXMF's own signature
nor the propagation node is trusted: the recipient verifies each message
against the body (``envelope.open_untrusted``) and adds it to its log; a
message that does not verify is refused alone, with its reason, and nothing
already held changes.

LXMF is thread-based. ``LxmfRelay`` is built on the main thread (the LXMF
router installs signal handlers); its deliveries arrive on RNS threads and
go into a thread-safe queue; only the event loop drains the queue and
touches the log; every blocking LXMF call runs in a worker thread.

A propagation node accepts one message per transfer from a client and at
most ``LXMRouter.PROPAGATION_LIMIT`` (256) kB per message, so a batch is cut
into bundles of at most ``MAX_DEPOSIT_BYTES``; each costs a propagation
stamp (proof of work the node sets, at least cost 13: well under a second
here). Deposits expire on the node after LXMF's 30 days.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import LXMF
import RNS

from crdt.errors import RemoteCrdtError
from crdt.log import Log
from protocol import envelope
from protocol.envelope import Envelope
from protocol.errors import BadBundle, RemoteProtocolError
from protocol.sneakernet import Bundle

from .errors import BadFrame, LocalMeshError
from .reticulum import (
    ReticulumTransport,
    load_identity,
    start,
    sync_hash,
    wait_for_path,
    write_config,
)

CUSTOM_TYPE = "caracol-bundle/0"
MAX_DEPOSIT_BYTES = 200_000  # under a propagation node's 256 kB per message, with LXMF's overhead
KICK_S = 0.25  # run LXMF's outbound and stamp jobs this often (its own loop waits 4 s)

_FAILED = {
    LXMF.LXMessage.FAILED: "failed",
    LXMF.LXMessage.REJECTED: "was rejected",
    LXMF.LXMessage.CANCELLED: "was cancelled",
}
_TRANSFER_FAILED = {
    LXMF.LXMRouter.PR_NO_PATH: "no path to the propagation node",
    LXMF.LXMRouter.PR_LINK_FAILED: "the link to the propagation node failed",
    LXMF.LXMRouter.PR_TRANSFER_FAILED: "the transfer from the propagation node failed",
    LXMF.LXMRouter.PR_NO_IDENTITY_RCVD: "the propagation node did not receive our identity",
    LXMF.LXMRouter.PR_NO_ACCESS: "the propagation node refused access",
    LXMF.LXMRouter.PR_FAILED: "the propagation node transfer failed",
}


# --- payloads (sans-IO) ---------------------------------------------------------------


def bundles_for(
    log: Log, since: Iterable[bytes] = (), *, max_bytes: int = MAX_DEPOSIT_BYTES
) -> list[bytes]:
    """The messages outside the causal past of ``since`` (ids the peer is
    known to hold), in replay order (parents first), as encoded bundles of at
    most ``max_bytes`` each; every bundle carries the log's current heads."""
    held = [h for h in since if h in log]
    known = log.causal_past_of_set(held) if held else frozenset()
    raws = [log.get(m).raw for m in log.order() if m not in known]
    return bundles_of(log.body, log.heads(), raws, max_bytes=max_bytes)


def bundles_of(
    body: bytes,
    heads: Iterable[bytes],
    raws: Sequence[bytes],
    *,
    max_bytes: int = MAX_DEPOSIT_BYTES,
) -> list[bytes]:
    """``raws`` (in the order given: parents first) cut into encoded bundles
    of at most ``max_bytes`` each, every one carrying ``heads``."""
    heads = tuple(heads)
    empty = len(Bundle(body, heads, ()).encode()) + 5  # +5: the array header may grow
    if empty + envelope.MAX_MESSAGE_BYTES + 5 > max_bytes:
        raise LocalMeshError(f"a deposit of {max_bytes} bytes cannot hold a largest message")
    out: list[bytes] = []
    batch: list[bytes] = []
    size = empty
    for raw in raws:
        cost = len(raw) + 5  # a msgpack bin header is at most 5 bytes
        if batch and size + cost > max_bytes:
            out.append(Bundle(body, heads, tuple(batch)).encode())
            batch, size = [], empty
        batch.append(raw)
        size += cost
    if batch:
        out.append(Bundle(body, heads, tuple(batch)).encode())
    return out


def deposit_untrusted(fields: Any) -> bytes:
    """The bundle bytes in a received LXMF message's fields."""
    if not isinstance(fields, dict):
        raise BadFrame("the LXMF message has no fields: not a Caracol deposit")
    kind = fields.get(LXMF.FIELD_CUSTOM_TYPE)
    if isinstance(kind, bytes):
        kind = kind.decode("utf-8", "replace")
    if kind != CUSTOM_TYPE:
        raise BadFrame(f"the LXMF message's custom type is {kind!r}, not {CUSTOM_TYPE!r}")
    data = fields.get(LXMF.FIELD_CUSTOM_DATA)
    if type(data) is not bytes:
        raise BadFrame("the Caracol deposit's data field is not a byte string")
    return data


@dataclass(frozen=True, slots=True)
class Collected:
    """What adding deposits to a log did."""

    accepted: int = 0  # newly in the log (with pending messages they released)
    duplicate: int = 0  # already held
    pending: int = 0  # waiting for parents not yet held
    rejected: tuple[str, ...] = ()  # one reason per refused deposit or message

    def __add__(self, other: Collected) -> Collected:
        return Collected(
            self.accepted + other.accepted,
            self.duplicate + other.duplicate,
            self.pending + other.pending,
            self.rejected + other.rejected,
        )


@dataclass(frozen=True, slots=True)
class Opened:
    """A deposit whose bundle is whole: its messages, each verified on its own."""

    heads: tuple[bytes, ...]  # the writer's heads, as the bundle claims them
    messages: tuple[Envelope, ...]  # verified (signature, body), in the bundle's order
    rejected: tuple[str, ...]  # one reason per message that did not verify


def open_deposit(data: bytes, body: bytes) -> Opened:
    """Check a deposit as untrusted input and verify each of its messages.

    Raises ``BadFrame`` when the deposit is refused as a whole: over
    ``MAX_DEPOSIT_BYTES``, not a bundle, truncated or altered so that its
    digest fails, or for another body. A message that does not verify
    (``envelope.open_untrusted``) is refused alone, its reason in ``rejected``.
    """
    if len(data) > MAX_DEPOSIT_BYTES:
        raise BadFrame(f"deposit of {len(data)} bytes exceeds the {MAX_DEPOSIT_BYTES}-byte limit")
    try:
        bundle = Bundle.decode_untrusted(data)
    except BadBundle as exc:
        raise BadFrame(exc.reason) from None
    if bundle.body != body:
        raise BadFrame(
            f"the deposit is for body {bundle.body.hex()[:16]}…, this log is {body.hex()[:16]}…"
        )
    opened: list[Envelope] = []
    rejected: list[str] = []
    for i, raw in enumerate(bundle.messages):
        try:
            opened.append(envelope.open_untrusted(raw, body))
        except RemoteProtocolError as exc:
            rejected.append(f"message {i} of the deposit: {exc}")
    return Opened(bundle.heads, tuple(opened), tuple(rejected))


def apply_untrusted(data: bytes, log: Log) -> Collected:
    """Verify a deposit's messages and add them to ``log``.

    Raises ``BadFrame`` when the deposit is refused as a whole (too large,
    not a bundle, truncated or altered so its digest fails, or for another
    body): then the log is untouched. A message that does not verify or
    breaks a DAG rule is refused alone and its reason is in ``rejected``.
    """
    opened = open_deposit(data, log.body)
    accepted = duplicate = pending = 0
    rejected: list[str] = list(opened.rejected)
    for env in opened.messages:
        try:
            result = log.add(env)
        except (RemoteProtocolError, RemoteCrdtError) as exc:
            rejected.append(f"message {env.id.hex()[:16]} of the deposit: {exc}")
            continue
        accepted += len(result.accepted)
        duplicate += result.duplicate
        pending += result.pending
    return Collected(accepted, duplicate, pending, tuple(rejected))


# --- what a sender knows of a peer (a small file beside the identity) ------------------

DEPOSIT_LIFETIME_S = 30 * 24 * 3600.0  # a propagation node keeps a deposit LXMF's 30 days


@dataclass(slots=True)
class PeerRecord:
    """One peer's log for one body, as far as this side knows it."""

    heads: tuple[bytes, ...] = ()  # ids the peer holds (and so their causal past)
    learned_at: float | None = None  # when (a completed sync, or a bundle from the peer)
    deposited: tuple[bytes, ...] = ()  # our heads at the last deposit the node took
    deposited_since: float | None = None  # the first deposit since ``heads`` were learned

    def deposited_alive(self, now: float) -> tuple[bytes, ...]:
        """``deposited`` while the oldest of those deposits may still be on the
        node; after LXMF's 30 days they may be gone, so they count for nothing."""
        if self.deposited_since is None or now - self.deposited_since >= DEPOSIT_LIFETIME_S:
            return ()
        return self.deposited


class PeerState:
    """``PeerRecord``s by body and peer destination, kept in a JSON file that
    is replaced whole on every save (so a crash leaves the old one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, PeerRecord] = {}
        self.problem: str | None = None  # why the file could not be read (then: empty)
        try:
            doc = json.loads(path.read_text())
            for key, r in doc["peers"].items():
                self.records[str(key)] = PeerRecord(
                    tuple(bytes.fromhex(h) for h in r["heads"]),
                    None if r["learned_at"] is None else float(r["learned_at"]),
                    tuple(bytes.fromhex(h) for h in r["deposited"]),
                    None if r["deposited_since"] is None else float(r["deposited_since"]),
                )
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.records.clear()
            self.problem = f"{path} could not be read ({exc}); starting from nothing known"

    @staticmethod
    def key(body: bytes, peer: bytes) -> str:
        return f"{body.hex()}/{peer.hex()}"

    def get(self, body: bytes, peer: bytes) -> PeerRecord:
        return self.records.setdefault(self.key(body, peer), PeerRecord())

    def save(self) -> None:
        doc = {
            "version": 0,
            "peers": {
                key: {
                    "heads": [h.hex() for h in r.heads],
                    "learned_at": r.learned_at,
                    "deposited": [h.hex() for h in r.deposited],
                    "deposited_since": r.deposited_since,
                }
                for key, r in self.records.items()
            },
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        os.replace(tmp, self.path)


# --- the LXMF driver --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """One LXMF message delivered to us (its fields are untrusted)."""

    source: bytes  # the sender's LXMF address, as the message claims it
    fields: Any


def public_identity(public_key: bytes) -> Any:
    """A peer's identity from its 64-byte public key (as its announce carries it)."""
    if len(public_key) != 64:
        raise LocalMeshError(f"a Reticulum public key is 64 bytes, not {len(public_key)}")
    identity = RNS.Identity(create_keys=False)
    identity.load_public_key(public_key)
    return identity


def delivery_hash(identity: Any) -> bytes:
    """The LXMF delivery address of an identity."""
    return bytes(RNS.Destination.hash_from_name_and_identity("lxmf.delivery", identity))


class LxmfRelay:
    """One LXMF router in this process (a Reticulum instance must be running)."""

    def __init__(self, storage: Path, identity: Any) -> None:
        """Call on the main thread: the LXMF router installs signal handlers."""
        self.identity = identity
        self.router = LXMF.LXMRouter(identity=identity, storagepath=str(storage), autopeer=False)
        self.destination = self.router.register_delivery_identity(identity)
        self._inbox: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        self.router.register_delivery_callback(self._on_delivery)

    def _on_delivery(self, message: Any) -> None:  # an RNS thread
        self._inbox.put(Delivery(bytes(message.source_hash), message.fields))

    def _kick(self) -> None:
        """Run the stamp and outbound jobs now rather than at LXMF's next tick."""
        threading.Thread(target=self.router.process_deferred_stamps, daemon=True).start()
        self.router.process_outbound()

    async def deposit(
        self,
        recipient: Any,
        node: bytes,
        bundles: Sequence[bytes],
        *,
        timeout: float = 60.0,
    ) -> None:
        """Hand each bundle to the propagation node ``node`` for ``recipient``
        (a Reticulum identity); returns when the node has taken them all."""
        for b in bundles:
            if len(b) > MAX_DEPOSIT_BYTES:
                raise LocalMeshError(
                    f"a deposit of {len(b)} bytes exceeds the {MAX_DEPOSIT_BYTES}-byte limit"
                )

        def blocking() -> None:
            deadline = time.monotonic() + timeout
            self.router.set_outbound_propagation_node(node)
            wait_for_path(node, deadline)  # its answer carries the node's stamp cost
            to = RNS.Destination(
                recipient, RNS.Destination.OUT, RNS.Destination.SINGLE, "lxmf", "delivery"
            )
            messages = []
            for b in bundles:
                lxm = LXMF.LXMessage(
                    to,
                    self.destination,
                    "",
                    "",
                    fields={LXMF.FIELD_CUSTOM_TYPE: CUSTOM_TYPE, LXMF.FIELD_CUSTOM_DATA: b},
                    desired_method=LXMF.LXMessage.PROPAGATED,
                )
                self.router.handle_outbound(lxm)
                messages.append(lxm)
            while True:
                for i, lxm in enumerate(messages):
                    if lxm.state in _FAILED:
                        raise LocalMeshError(
                            f"deposit {i + 1} of {len(messages)} {_FAILED[lxm.state]} "
                            f"at propagation node {node.hex()}"
                        )
                left = sum(m.state != LXMF.LXMessage.SENT for m in messages)
                if not left:
                    return
                if time.monotonic() > deadline:
                    raise LocalMeshError(
                        f"{left} of {len(messages)} deposits not taken by propagation node "
                        f"{node.hex()} within {timeout:g} s"
                    )
                self._kick()
                time.sleep(KICK_S)

        await anyio.to_thread.run_sync(blocking)

    async def collect(self, node: bytes, *, timeout: float = 60.0) -> list[Delivery]:
        """Fetch what the propagation node ``node`` holds for us; returns every
        LXMF message delivered since the last call (theirs and any other)."""

        def blocking() -> None:
            deadline = time.monotonic() + timeout
            self.router.set_outbound_propagation_node(node)
            wait_for_path(node, deadline)
            self.router.acknowledge_sync_completion(reset_state=True)  # forget a previous transfer
            self.router.request_messages_from_propagation_node(self.identity)
            while True:
                state = self.router.propagation_transfer_state
                if state == LXMF.LXMRouter.PR_COMPLETE:
                    return
                if state in _TRANSFER_FAILED:
                    raise LocalMeshError(_TRANSFER_FAILED[state])
                if time.monotonic() > deadline:
                    raise LocalMeshError(
                        f"collecting from propagation node {node.hex()} took over {timeout:g} s"
                    )
                time.sleep(0.05)

        await anyio.to_thread.run_sync(blocking)
        out: list[Delivery] = []
        while True:
            try:
                out.append(self._inbox.get_nowait())
            except queue.Empty:
                return out

    async def collect_into(self, log: Log, node: bytes, *, timeout: float = 60.0) -> Collected:
        """``collect``, then verify every deposit and add it to ``log``."""
        total = Collected()
        for d in await self.collect(node, timeout=timeout):
            try:
                total += apply_untrusted(deposit_untrusted(d.fields), log)
            except BadFrame as exc:
                total += Collected(rejected=(f"deposit from {d.source.hex()}: {exc}",))
        return total


async def sync_or_deposit(
    relay: LxmfRelay,
    log: Log,
    peer: Any,
    node: bytes,
    *,
    since: Iterable[bytes] = (),
    link_timeout: float = 30.0,
) -> str:
    """Synchronise with ``peer`` (a Reticulum identity) over a live link to
    its ``caracol.sync`` if one comes up within ``link_timeout``; otherwise
    deposit what it may lack (outside the causal past of ``since``) with the
    propagation node ``node``. Returns what happened, in words."""
    from .reticulum_node import sync

    try:
        transport = await ReticulumTransport.connect(sync_hash(peer), timeout=link_timeout)
    except LocalMeshError as exc:
        bundles = bundles_for(log, since)
        await relay.deposit(peer, node, bundles)
        return f"peer unreachable ({exc}); deposited {len(bundles)} bundles"
    try:
        await sync(transport, log, initiate=True)
    finally:
        await transport.aclose()
    return f"synced with the peer over a live link; state {log.state_hash().hex()}"


def propagation_node(
    storage: Path, identity: Any, *, stamp_cost: int = LXMF.LXMRouter.PROPAGATION_COST_MIN
) -> Any:
    """An LXMF propagation node in this process (main thread); the router.

    ``stamp_cost`` is the proof of work it asks of each deposit: LXMF's
    minimum (13) by default, about half a second of one core here; LXMF's
    own default (16) takes 8 times longer."""
    router = LXMF.LXMRouter(
        identity=identity, storagepath=str(storage), autopeer=False, propagation_cost=stamp_cost
    )
    router.enable_propagation()
    return router


# --- command line (used by the tests) ------------------------------------------------------


async def _main(args: argparse.Namespace) -> int:
    from .reticulum_node import load_log

    if args.command == "identity":
        identity = load_identity(Path(args.file))
        print(
            f"identity {identity.get_public_key().hex()} delivery {delivery_hash(identity).hex()}",
            flush=True,
        )
        return 0
    d = Path(args.dir)
    write_config(d, listen_port=getattr(args, "listen", None), connect_port=args.connect)
    start(d)
    if args.command == "propagation-node":
        router = propagation_node(d / "lxmf", load_identity(d / "identity"))
        print(f"propagation-node {router.propagation_destination.hash.hex()}", flush=True)
        await anyio.sleep_forever()
    node = bytes.fromhex(args.node)
    if args.command == "deposit":
        relay = LxmfRelay(d / "lxmf", load_identity(d / "identity"))
        peer = public_identity(bytes.fromhex(args.to))
        if args.try_link is not None:
            log = load_log(Path(args.log))
            print(await sync_or_deposit(relay, log, peer, node, link_timeout=args.try_link))
        bundles = [Path(f).read_bytes() for f in args.raw]
        if args.try_link is None and args.log is not None:
            bundles += bundles_for(load_log(Path(args.log)))
        if bundles:
            await relay.deposit(peer, node, bundles)
            print(f"deposited {len(bundles)} bundles", flush=True)
        return 0
    log = load_log(Path(args.log))
    relay = LxmfRelay(d / "lxmf", load_identity(Path(args.identity)))
    got = await relay.collect_into(log, node)
    for reason in got.rejected:
        print(f"rejected {reason}", flush=True)
    print(
        f"state {log.state_hash().hex()} messages {len(log)} accepted {got.accepted} "
        f"rejected {len(got.rejected)}",
        flush=True,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Subcommands:

    identity --file F              create/print an identity: ``identity <pub> delivery <hash>``
    propagation-node --dir D --listen PORT     prints ``propagation-node <hash>``, runs until killed
    deposit --dir D --connect PORT --node H --to PUB [--log FILE] [--raw FILE ...] [--try-link S]
    collect --dir D --connect PORT --node H --identity F --log FILE

    ``deposit --raw`` hands a file's bytes over unchecked (the recipient
    checks everything); ``deposit --try-link S`` synchronises ``--log`` over
    a live link when the peer answers within S seconds and deposits it
    otherwise (``sync_or_deposit``), printing which; ``collect`` prints
    ``rejected <reason>`` per refusal and ``state <hex> messages N accepted A
    rejected R``.
    """
    p = argparse.ArgumentParser(prog="python -m mesh.lxmf_relay")
    sub = p.add_subparsers(dest="command", required=True)
    ident = sub.add_parser("identity")
    ident.add_argument("--file", required=True)
    pn = sub.add_parser("propagation-node")
    pn.add_argument("--dir", required=True)
    pn.add_argument("--listen", type=int, required=True)
    pn.set_defaults(connect=None)
    dep = sub.add_parser("deposit")
    col = sub.add_parser("collect")
    for s in (dep, col):
        s.add_argument("--dir", required=True)
        s.add_argument("--connect", type=int, required=True)
        s.add_argument("--node", required=True)
    dep.add_argument("--to", required=True, help="the recipient's public key (hex)")
    dep.add_argument("--log")
    dep.add_argument("--raw", action="append", default=[])
    dep.add_argument(
        "--try-link",
        type=float,
        metavar="S",
        help="first try a live link to the peer for S seconds; deposit only if none comes up",
    )
    col.add_argument("--identity", required=True)
    col.add_argument("--log", required=True)
    try:
        return anyio.run(_main, p.parse_args(argv))
    except LocalMeshError as exc:
        print(f"lxmf_relay: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
