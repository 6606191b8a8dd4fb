"""Radio links: bytes and time on air per message kind and link, a vote's
and an attestation's frame counts, a Community Verdict reaching the
Municipality over simulated LoRa, and 1,000 missed messages synchronised
within the duty cycle (simulated radio seconds, trio MockClock): two
stations reconcile over SYNC (crdt.reconcile) and each sends what the other
lacks, as a node does; the SYNC frames' cost is reported beside it, and that
of a session between logs of 1,000 messages differing by one; both again at
20 % frame loss, side by side with the lossless figures (lost SYNC frames are
sent again by turn; lost messages named by the sender's OFFERs or the session
are asked for with WANT, the rest caught by the next session).
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import trio
import trio.testing

from benchmarks.encoding import sample_messages
from crdt.log import Log
from crdt.sim import make_genesis, seed_for
from mesh import frames
from mesh.airtime import MESHTASTIC
from mesh.dutycycle import Budget, sub_band
from mesh.lora_federation import run as lora_federation
from mesh.radio_link import RadioLink
from mesh.simchannel import SimChannel, SimRadio
from mesh.transport import LinkState, LinkStatistics
from protocol import envelope, kinds
from protocol.envelope import Envelope
from protocol.kinds import Outcome
from protocol.verdict import CommunityVerdict, attest

LONG_FAST = MESHTASTIC["LONG_FAST"]
FED_SEEDS = (1, 2, 3, 4, 5)


def _median(values: list[float | None]) -> float | None:
    """The median of a few runs (None when one did not finish)."""
    if any(v is None for v in values):
        return None
    return round(statistics.median(v for v in values if v is not None), 1)


LINKS = {"meshtastic": 233, "reticulum": 383, "kiss": 256}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sync", type=int, default=1000, help="missed messages to synchronise")
    parser.add_argument(
        "--mhz", type=float, default=868.1, help="EU868 frequency (868.1: a 1 %% sub-band)"
    )


def _roster(genesis: Envelope) -> list[bytes]:
    assert isinstance(genesis.payload, kinds.Genesis)
    return sorted(genesis.payload.founders)


def _context(genesis: Envelope, log: Log) -> frames.Context:
    return frames.Context(
        genesis.body, _roster(genesis), lambda p: [m for m in log.ids() if m.startswith(p)]
    )


def _airtime(link: str, nbytes: int) -> float:
    if link == "kiss":
        return nbytes * 8 * 1.1 / 1200
    return LONG_FAST.airtime(nbytes)  # Meshtastic and an RNode on LongFast settings


def per_kind() -> list[dict[str, Any]]:
    msgs = sample_messages()
    g = msgs["genesis"]
    log = Log(g.body)
    log.add(g)
    log.add(msgs["proposal"])
    ctx = frames.Context(g.body, _roster(g), lambda p: [m for m in log.ids() if m.startswith(p)])
    rows = []
    for name, env in msgs.items():
        full = frames.encode_msg(ctx.ctx, env.raw)
        short = frames.encode_msg(ctx.ctx, frames.abbreviate(env.raw, ctx), abbreviated=True)
        row: dict[str, Any] = {
            "kind": name,
            "message": len(env.raw),
            "frame_full": len(full),
            "frame_abbrev": len(short),
        }
        for link, mtu in LINKS.items():
            pieces = frames.fragment(short, mtu)
            row[f"{link}_frames"] = len(pieces)
            row[f"{link}_airtime_s"] = round(sum(_airtime(link, len(p)) for p in pieces), 3)
        rows.append(row)
    return rows


def attestation_frames() -> tuple[int, int]:
    seeds = [seed_for(f"bench mesh {i}") for i in range(5)]
    v = CommunityVerdict(
        bytes(32), bytes(32), bytes(32), bytes(32), bytes(32), Outcome.PASSED, 140, 6, 2, 150
    )
    data = frames.encode(
        frames.Object(bytes(4), frames.ObjectKind.ATTESTATION, attest(v, seeds).encode())
    )
    return len(frames.fragment(data, LINKS["meshtastic"])), len(data)


class _Tap:
    """A Transport that remembers the frames it sent (to count SYNC airtime)."""

    def __init__(self, radio: SimRadio) -> None:
        self.radio = radio
        self.mtu = radio.mtu
        self.sent: list[bytes] = []

    def airtime(self, nbytes: int) -> float:
        return self.radio.airtime(nbytes)

    async def send(self, frame: bytes) -> None:
        self.sent.append(frame)
        await self.radio.send(frame)

    async def receive(self) -> bytes:
        return await self.radio.receive()

    def link_state(self) -> LinkState:
        return self.radio.link_state()

    def statistics(self) -> LinkStatistics:
        return self.radio.statistics()

    async def aclose(self) -> None:
        await self.radio.aclose()


def _sync_context(genesis: Envelope, log: Log) -> frames.Context:
    def raw_of(mid: bytes) -> bytes | None:
        return log.get(mid).raw if mid in log else None

    ctx = _context(genesis, log)
    ctx.ids, ctx.raw_of = log.ids, raw_of
    return ctx


def _votes(n: int) -> tuple[Envelope, Envelope, list[Envelope]]:
    seeds = [seed_for(f"sync{i}") for i in range(150)]
    g = make_genesis(seeds)
    p = envelope.sign(
        seeds[0], g.body, kinds.Proposal("P", "x", "", None, None), parents=[g.id], seq=2, time=1
    )
    votes: list[Envelope] = [
        envelope.sign(
            seeds[i % 150],
            g.body,
            kinds.Vote(p.id, kinds.Choice.FOR),
            parents=[p.id],
            seq=1 + i // 150 + (1 if i % 150 == 0 else 0),
            time=2,
        )
        for i in range(n)
    ]
    return g, p, votes


@dataclass
class SyncRun:
    b_complete_s: float  # until b holds everything a held
    converged_s: float  # until both hold the same log
    peak_s: float  # the most air either used in one rolling hour
    allowance_s: float
    sync_frames: int  # SYNC frames both sent (sessions and announcements)
    sync_bytes: int
    sync_airtime_s: float
    msg_frames: int
    airtime_s: float  # everything both sent
    wants_sent: int = 0  # WANT frames both sent
    wants_answered: int = 0
    wants_ignored: int = 0
    messages_resent_for_wants: int = 0
    offer_frames: int = 0  # OFFER frames both sent (the ids of the history, after it)


async def sync_missed(
    n: int, mhz: float, *, extra: int = 5, auto: bool = True, common: int = 0, loss: float = 0.0
) -> SyncRun:
    """b lacks n messages a holds (and a the ``extra`` b holds); they reconcile
    over SYNC on simulated LoRa and a sends what b lacks, within the duty cycle.
    ``common`` messages both hold from the start (the d = 1 case); ``loss`` of
    the frames is lost on the air."""
    g, have, lack, want_a, want_b = _two_logs(n, extra, common)
    channel = SimChannel(LONG_FAST, loss=loss, seed=1)
    band = sub_band("EU868", mhz)
    taps = [_Tap(channel.radio("a")), _Tap(channel.radio("b"))]
    a, b = (
        RadioLink(
            tap,
            Budget(band),
            clock=trio.current_time,
            rng=random.Random(f"bench {name}"),
            auto_sync=auto,
        )
        for tap, name in zip(taps, "ab", strict=True)
    )
    channel.connect("a", "b")
    start = trio.current_time()
    done: dict[str, float] = {}

    def deliver(log: Log, want: set[bytes], name: str) -> Callable[[Envelope], None]:
        def on_message(env: Envelope) -> None:
            log.add(env)
            want.discard(env.id)
            if not want and name not in done:
                done[name] = trio.current_time() - start

        return on_message

    for link, log, want, name in ((a, have, want_a, "a"), (b, lack, want_b, "b")):
        link.add_context(_sync_context(g, log))
        link.on_message = deliver(log, want, name)
        if not want:
            done[name] = 0.0
    with trio.fail_after(30 * 24 * 3600):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(a.run)
            nursery.start_soon(b.run)
            if not auto:
                a.sync(g.body[: frames.CTX], b.me)
            while len(done) < 2:
                await trio.sleep(5)
            nursery.cancel_scope.cancel()
    assert have.state_hash() == lack.state_hash()
    return _sync_run(a, b, taps, done)


def _two_logs(n: int, extra: int, common: int) -> tuple[Envelope, Log, Log, set[bytes], set[bytes]]:
    """The genesis, a log holding ``n`` messages the other lacks and one
    holding ``extra`` the first lacks (both holding ``common``), and the ids
    each lacks."""
    g, p, votes = _votes(common + n + extra)
    have = Log(g.body)
    lack = Log(g.body)
    for log in (have, lack):
        log.add(g)
        log.add(p)
        for v in votes[:common]:
            log.add(v)
    for v in votes[common : common + n]:
        have.add(v)
    for v in votes[common + n :]:
        lack.add(v)
    want_b = {v.id for v in votes[common : common + n]}
    want_a = {v.id for v in votes[common + n :]}
    return g, have, lack, want_a, want_b


def _sync_run(a: RadioLink, b: RadioLink, taps: list[_Tap], done: dict[str, float]) -> SyncRun:
    """The figures of one reconciliation, from both links and what they sent."""
    stats = [a.statistics(), b.statistics()]
    sync = [f for tap in taps for f in tap.sent if f[0] & 0x0F == frames.FrameType.SYNC]
    return SyncRun(
        b_complete_s=done["b"],
        converged_s=max(done.values()),
        peak_s=max(a.budget.peak_s, b.budget.peak_s),
        allowance_s=a.budget.allowance_s,
        sync_frames=len(sync),
        sync_bytes=sum(len(f) for f in sync),
        sync_airtime_s=sum(LONG_FAST.airtime(len(f)) for f in sync),
        msg_frames=sum(1 for tap in taps for f in tap.sent if f[0] & 0x0F == frames.FrameType.MSG),
        airtime_s=sum(LONG_FAST.airtime(len(f)) for tap in taps for f in tap.sent),
        wants_sent=sum(s.wants_sent for s in stats),
        wants_answered=sum(s.wants_answered for s in stats),
        wants_ignored=sum(s.wants_ignored for s in stats),
        messages_resent_for_wants=sum(s.messages_resent_for_wants for s in stats),
        offer_frames=sum(
            1 for tap in taps for f in tap.sent if f[0] & 0x0F == frames.FrameType.OFFER
        ),
    )


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rows = per_kind()
    vote_row = next(r for r in rows if r["kind"] == "vote")
    att_frames, att_bytes = attestation_frames()
    result: dict[str, Any] = {}
    trio.run(_radio, args, result, clock=trio.testing.MockClock(autojump_threshold=0))
    feds: list[Any] = result["feds"]
    runs: list[SyncRun] = [result[k] for k in ("sync", "sync_g3", "d1", "sync_loss20", "d1_loss20")]
    exceeded = any(u > f.allowance_s + 1e-9 for f in feds for u in f.budget_used.values()) or any(
        r.peak_s > r.allowance_s + 1e-9 for r in runs
    )
    return {
        "vote_frames": vote_row["meshtastic_frames"],
        "vote_frame_bytes": vote_row["frame_abbrev"],
        "attestation_frames": att_frames,
        "attestation_frame_bytes": att_bytes,
        "duty_cycle_exceeded": exceeded,
        **_verdict_figures(feds),
        **_sync_figures(args, *runs),
        "duty_allowance_s_per_hour": round(result["sync"].allowance_s, 1),
        "region": f"EU868 {args.mhz} MHz, SF11/BW250 (LongFast)",
        "per_kind": rows,
        "sync_side_by_side": _side_by_side(args, *runs),
    }


async def _radio(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Every simulated radio run of the benchmark, into ``result``."""
    # The simulator is deterministic per seed; over a few seeds (which
    # frames the 10 % loss takes) the figures spread, so report the spread.
    feds = [
        await lora_federation(params=LONG_FAST, mhz=args.mhz, loss=0.1, seed=seed)
        for seed in FED_SEEDS
    ]
    result["feds"] = feds
    result["fed"] = feds[0]
    result["sync"] = await sync_missed(args.sync, args.mhz)
    result["sync_g3"] = await sync_missed(args.sync, 869.525)
    result["d1"] = await sync_missed(1, args.mhz, extra=0, auto=False, common=max(0, args.sync - 1))
    result["sync_loss20"] = await sync_missed(args.sync, args.mhz, loss=0.2)
    # auto: a message lost on the air is caught by the next session
    result["d1_loss20"] = await sync_missed(
        1, args.mhz, extra=0, auto=True, common=max(0, args.sync - 1), loss=0.2
    )


def _verdict_figures(feds: list[Any]) -> dict[str, Any]:
    """How long the Communities' verdicts took to reach the Municipality."""
    return {
        "verdict_to_municipality_s": _median([f.provisional_s for f in feds]),
        "verdict_confirmed_by_proof_s": _median([f.confirmed_s for f in feds]),
        "verdict_by_seed": [
            {
                "seed": seed,
                "to_municipality_s": round(f.provisional_s or 0.0, 1),
                "confirmed_by_proof_s": round(f.confirmed_s or 0.0, 1),
                "frames_lost": f.losses,
                "airtime_s": round(sum(f.airtime.values()), 1),
            }
            for seed, f in zip(FED_SEEDS, feds, strict=True)
        ],
    }


def _sync_figures(
    args: argparse.Namespace,
    run: SyncRun,
    g3: SyncRun,
    d1: SyncRun,
    lossy: SyncRun,
    d1_lossy: SyncRun,
) -> dict[str, Any]:
    """The reconciliation runs' figures, flat."""
    sync_s = run.b_complete_s
    return {
        "sync_messages": args.sync,
        "sync_1000_s": round(sync_s, 1),
        "sync_hours": round(sync_s / 3600, 2),
        "sync_1000_s_10pct_band": round(g3.b_complete_s, 1),
        "sync_converged_s": round(run.converged_s, 1),
        "sync_msg_frames": run.msg_frames,
        "sync_frames": run.sync_frames,
        "sync_frame_bytes": run.sync_bytes,
        "sync_frame_airtime_s": round(run.sync_airtime_s, 1),
        "sync_overhead_pct_airtime": round(100 * run.sync_airtime_s / run.airtime_s, 2),
        "sync_d1_frames": d1.sync_frames,
        "sync_d1_frame_bytes": d1.sync_bytes,
        "sync_d1_airtime_s": round(d1.sync_airtime_s, 1),
        "sync_d1_s": round(d1.b_complete_s, 1),
        "sync_1000_loss20_s": round(lossy.b_complete_s, 1),
        "sync_loss20_hours": round(lossy.b_complete_s / 3600, 2),
        "sync_converged_loss20_s": round(lossy.converged_s, 1),
        "sync_loss20_msg_frames": lossy.msg_frames,
        "sync_loss20_frames": lossy.sync_frames,
        "sync_loss20_frame_bytes": lossy.sync_bytes,
        "sync_d1_loss20_s": round(d1_lossy.b_complete_s, 1),
        "sync_d1_loss20_frames": d1_lossy.sync_frames,
        "sync_d1_loss20_airtime_s": round(d1_lossy.sync_airtime_s, 1),
        "sync_loss20_wants_sent": lossy.wants_sent,
        "sync_loss20_wants_answered": lossy.wants_answered,
        "sync_loss20_messages_resent_for_wants": lossy.messages_resent_for_wants,
        "sync_loss20_offer_frames": lossy.offer_frames,
    }


def _side_by_side(
    args: argparse.Namespace,
    run: SyncRun,
    g3: SyncRun,
    d1: SyncRun,
    lossy: SyncRun,
    d1_lossy: SyncRun,
) -> list[dict[str, Any]]:
    """Without loss and with 20 % lost, for many messages missed and for one."""
    return [
        {
            "case": case,
            "loss_pct": pct,
            "until_b_has_all_s": round(r.b_complete_s, 1),
            "converged_s": round(r.converged_s, 1),
            "sync_frames": r.sync_frames,
            "sync_bytes": r.sync_bytes,
            "sync_airtime_s": round(r.sync_airtime_s, 1),
            "msg_frames": r.msg_frames,
            "offer_frames": r.offer_frames,
            **(
                {
                    "wants_sent": r.wants_sent,
                    "wants_answered": r.wants_answered,
                    "wants_ignored": r.wants_ignored,
                    "messages_resent_for_wants": r.messages_resent_for_wants,
                }
                if pct
                else {}
            ),
        }
        for case, pct, r in (
            (f"{args.sync} missed", 0, run),
            (f"{args.sync} missed", 20, lossy),
            ("d = 1", 0, d1),
            ("d = 1", 20, d1_lossy),
        )
    ]
