"""LXMF store and forward for a bridge (``--propagation-node``; spec/mesh.md,
Reticulum): while no live link to the ``--peer`` is up, deposit what it may
lack with the propagation node; on both sides collect deposits as untrusted
input; and keep what the peer is known to hold (a completed sync, messages
heard from it, what was deposited), saved beside the identity so that a
restart deposits only what is new.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import anyio

from .bridge_config import LXMF_TIMEOUT, Radio
from .errors import MeshError
from .lxmf_relay import bundles_of, delivery_hash, deposit_untrusted, open_deposit

if TYPE_CHECKING:
    from .bridge import Bridge


class StoreAndForward:
    """The LXMF side of one bridge (see the module docstring)."""

    def __init__(
        self,
        bridge: Bridge,
        relay: Any,
        delivery: str,
        *,
        peer_state: Any = None,
        peer_identity: Any = None,
    ) -> None:
        self.bridge = bridge
        self.config = bridge.config
        self.body = bridge.body
        self.relay = relay  # an lxmf_relay.LxmfRelay (or a test's stand-in)
        self.peer_state = peer_state  # an lxmf_relay.PeerState (the --peer side)
        self.peer_identity = peer_identity  # from --peer-key, or recalled by Reticulum
        self.status = new_lxmf_status(bridge.config.radio, delivery)  # the status's "lxmf"
        self._lock = anyio.Lock()  # one transfer with the propagation node at a time
        self._peer_heard: set[bytes] = set()  # ids the peer is known to hold, to fold in
        self._sync_pending = False  # a sync completed; the peer's heads once the queue drains
        self._syncs_seen = 0
        self.link_down_since = time.monotonic()
        self._nothing_new_at: tuple[int, tuple[bytes, ...]] | None = None
        if peer_identity is not None:
            self.status["peer_delivery"] = delivery_hash(peer_identity).hex()
        if peer_state is not None:
            self.note_peer_heads()

    def heard_from_peer(self, mid: bytes) -> None:
        if self.peer_state is not None:
            self._peer_heard.add(mid)

    def new_link(self) -> None:
        self._syncs_seen = 0

    def link_ended(self) -> None:
        self.link_down_since = time.monotonic()
        self.learn_from_link()

    def peer_record(self) -> Any:
        assert self.peer_state is not None and self.config.radio.peer is not None
        return self.peer_state.get(self.body, self.config.radio.peer)

    def note_peer_heads(self) -> None:
        rec = self.peer_record()
        if self.status is not None:
            self.status["peer_heads"] = {
                "heads": len(rec.heads),
                "learned_at": rec.learned_at,
                "deposited_since": rec.deposited_since,
            }

    def learn_from_link(self) -> None:
        """What the peer holds, from the live link: a completed sync (once
        the send queue has drained, the peer has all we held) and the
        messages heard from it. Saved beside the identity when it changed."""
        if self.peer_state is None:
            return
        rec, changed = self.peer_record(), False
        link = self.bridge.link
        if link is not None:
            st = link.statistics()
            if st.sync_completed > self._syncs_seen:
                self._syncs_seen, self._sync_pending = st.sync_completed, True
            if self._sync_pending and self.bridge.linked and st.queue.queued_frames == 0:
                self._sync_pending = False
                rec.heads, rec.learned_at = tuple(self.bridge.messages.heads()), time.time()
                rec.deposited, rec.deposited_since = (), None  # nothing owed by deposit now
                changed = True
        if self._peer_heard:
            known = self.bridge.messages.causal_past([*rec.heads, *self._peer_heard])
            self._peer_heard.clear()
            heads = tuple(self.bridge.messages.heads(known))
            if heads != rec.heads:
                rec.heads, rec.learned_at, changed = heads, time.time(), True
        if changed:
            self.note_peer_heads()
            try:
                self.peer_state.save()
            except OSError as exc:
                self.bridge.drop("bridge", f"cannot save what the peer holds: {exc}")

    def for_peer(self) -> list[bytes]:
        """The ids the peer may lack, parents first: outside the causal past
        of its heads last learned and of what is deposited and not expired."""
        rec = self.peer_record()
        known = self.bridge.messages.causal_past([*rec.heads, *rec.deposited_alive(time.time())])
        return [m for m in self.bridge.messages.ids() if m not in known]

    def _result(self, what: str, ok: bool, result: str) -> None:
        assert self.status is not None
        self.status[f"last_{what}"] = {"at": time.time(), "ok": ok, "result": result}
        if not ok:
            self.bridge.drop("lxmf", f"{what}: {result}")

    async def deposit_loop(self) -> None:
        """While no live link to the peer has been up for ``--link-timeout``
        (since the start, or since the last link ended), deposit what it may
        lack with the propagation node: at once, then new messages at most
        once every ``--deposit-every`` seconds (a failed attempt again after
        at most a minute)."""
        cfg = self.config.radio
        tick = min(1.0, cfg.link_timeout / 4, cfg.deposit_every / 4)
        next_at = 0.0
        while True:
            await anyio.sleep(tick)
            self.learn_from_link()
            now = time.monotonic()
            if self.bridge.linked or now - self.link_down_since < cfg.link_timeout or now < next_at:
                continue
            done = await self.deposit_now()
            if done is not None:
                next_at = now + (cfg.deposit_every if done else min(cfg.deposit_every, 60.0))

    async def deposit_now(self) -> bool | None:
        """Deposit what the peer may lack; None when there is nothing to."""
        import RNS

        cfg = self.config.radio
        assert self.relay is not None and cfg.peer is not None and cfg.propagation_node
        rec = self.peer_record()
        mark = (len(self.bridge.messages), rec.heads + rec.deposited_alive(time.time()))
        if mark == self._nothing_new_at:
            return None  # the same messages and knowledge as when nothing was owed
        ids = self.for_peer()
        if not ids:
            self._nothing_new_at = mark
            return None
        identity = self.peer_identity or RNS.Identity.recall(cfg.peer)
        if identity is None:
            self._result(
                "deposit",
                False,
                f"{len(ids)} messages for the peer, but its identity is unknown "
                "(it was never heard here): give --peer-key",
            )
            return False
        heads = self.bridge.messages.heads()
        raws = [raw for m in ids if (raw := self.bridge.messages.raw_of(m)) is not None]
        bundles = bundles_of(self.body, heads, raws)
        try:
            async with self._lock:
                await self.relay.deposit(
                    identity, cfg.propagation_node, bundles, timeout=LXMF_TIMEOUT
                )
        except MeshError as exc:
            self._result("deposit", False, str(exc))
            return False
        assert self.status is not None
        self.status["bundles_deposited"] += len(bundles)
        self.status["messages_deposited"] += len(ids)
        rec.deposited = tuple(heads)
        if rec.deposited_since is None:
            rec.deposited_since = time.time()
        self.note_peer_heads()
        assert self.peer_state is not None
        try:
            self.peer_state.save()
        except OSError as exc:
            self.bridge.drop("bridge", f"cannot save what was deposited for the peer: {exc}")
        result = f"{len(ids)} messages in {len(bundles)} bundles taken by the node"
        self._result("deposit", True, result)
        print(f"lxmf: deposited for the peer: {result}", flush=True)
        return True

    async def collect_loop(self) -> None:
        """Collect deposits at the start and every ``--collect-every`` seconds."""
        while True:
            await self.collect_now()
            await anyio.sleep(self.config.radio.collect_every)

    async def collect_now(self) -> None:
        """Collect from the propagation node; every deposit is untrusted: one
        that is not whole (too large, not a bundle, truncated or altered, for
        another body) is refused with its reason, then each message is
        verified on its own, and the verified ones go to the node with those
        heard on the radio."""

        cfg = self.config.radio
        assert self.relay is not None and self.status is not None and cfg.propagation_node
        try:
            async with self._lock:
                deliveries = await self.relay.collect(cfg.propagation_node, timeout=LXMF_TIMEOUT)
        except MeshError as exc:
            self._result("collect", False, str(exc))
            return
        peer = delivery_hash(self.peer_identity) if self.peer_identity is not None else None
        n = dict.fromkeys(("bundles", "refused", "new", "known", "bad"), 0)
        for d in deliveries:
            who = f"deposit from {d.source.hex()[:16]}…"
            try:
                opened = open_deposit(deposit_untrusted(d.fields), self.body)
            except MeshError as exc:
                n["refused"] += 1
                self.bridge.drop("lxmf", f"{who} refused: {exc}")
                continue
            n["bundles"] += 1
            for reason in opened.rejected:
                n["bad"] += 1
                self.bridge.drop("lxmf", f"{who}: {reason}")
            for env in opened.messages:
                n["new" if self.bridge.take(env) else "known"] += 1
            if self.peer_state is not None and d.source == peer:  # as the message claims
                self._peer_heard.update(opened.heads)
                self._peer_heard.update(env.id for env in opened.messages)
        lx = self.status
        lx["bundles_collected"] += n["bundles"]
        lx["bundles_rejected"] += n["refused"]
        lx["messages_accepted"] += n["new"]
        lx["messages_known"] += n["known"]
        lx["messages_rejected"] += n["bad"]
        result = (
            f"{len(deliveries)} deposits: {n['new']} new messages, {n['known']} known, "
            f"{n['bad']} refused; {n['refused']} deposits refused whole"
        )
        self._result("collect", True, result)
        if deliveries:
            print(f"lxmf: collected {result}", flush=True)
        self.learn_from_link()


def new_lxmf_status(radio: Radio, delivery: str) -> dict[str, Any]:
    """The status's ``lxmf`` section before any deposit or collection."""
    assert radio.propagation_node is not None
    return {
        "propagation_node": radio.propagation_node.hex(),
        "delivery": delivery,
        "peer_delivery": None,
        "collect_every_s": radio.collect_every,
        "deposit_every_s": radio.deposit_every if radio.peer else None,
        "last_deposit": None,
        "last_collect": None,
        "bundles_deposited": 0,
        "messages_deposited": 0,
        "bundles_collected": 0,
        "bundles_rejected": 0,
        "messages_accepted": 0,
        "messages_known": 0,
        "messages_rejected": 0,
        "peer_heads": None,
    }
