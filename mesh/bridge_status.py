"""``caracol mesh status``: the bridge's status document fetched from its
address on 127.0.0.1 and printed as a table for an operator (or as JSON)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any
from urllib.parse import urlsplit

from .bridge_config import BridgeError


def fetch_status(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The status document of a running bridge (a BridgeError when none answers)."""
    import urllib.error
    import urllib.request

    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BridgeError(f"--bridge {url!r} is not an http:// URL")
    if parts.path in ("", "/"):
        url = url.rstrip("/") + "/status"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            doc: dict[str, Any] = json.loads(r.read())
    except (urllib.error.URLError, OSError) as exc:
        raise BridgeError(
            f"no bridge answers at {url} ({getattr(exc, 'reason', exc)}); "
            "is `caracol mesh bridge` running, and on which --status-port?"
        ) from None
    except ValueError:
        raise BridgeError(f"{url} did not answer with a bridge's JSON status") from None
    if not isinstance(doc, dict) or "link" not in doc:
        raise BridgeError(f"{url} did not answer with a bridge's JSON status")
    return doc


def _s(x: Any) -> str:
    return "-" if x is None else f"{x:,.1f} s"


def render_status(s: dict[str, Any]) -> str:
    """The status as a table for an operator."""
    node, radio, lk, m = s["node"], s["radio"], s["link"], s["messages"]
    mtu = f", MTU {radio['mtu']}" if "mtu" in radio else ""
    if radio.get("settings"):
        mtu += f", {radio['settings']}"
    if radio.get("device_region"):
        mtu += f" (device region {radio['device_region']})"
    rows: list[tuple[str, str]] = [
        ("body", f"{node['body'][:16]}… on {node['url']}"),
        ("node events", f"{node['events']} ({node['reconnects']} reconnects)"),
        ("up", f"{s['uptime_s']:,.0f} s"),
        ("radio", f"{radio['kind']} {radio['address']}{mtu}"),
        ("link", str(lk["state"]).upper()),
    ]
    if "frames_sent" in lk:
        rssi = "-" if lk.get("rssi_dbm") is None else f"{lk['rssi_dbm']:g} dBm"
        snr = "-" if lk.get("snr_db") is None else f"{lk['snr_db']:g} dB"
        sent = f"{lk['frames_sent']:,} frames, {lk['bytes_sent']:,} bytes"
        got = f"{lk['frames_received']:,} frames, {lk['bytes_received']:,} bytes"
        rows += [
            ("signal", f"RSSI {rssi}, SNR {snr} (last frame heard)"),
            ("sent", f"{sent}, {_s(lk['airtime_s'])} on air"),
            ("received", f"{got}, {lk['dropped']:,} dropped by the adapter"),
        ]
    b = s.get("budget")
    if b:
        dwell = f", {b['dwell_s']:g} s per transmission" if b.get("dwell_s") else ""
        band = f"{b['region']} {b['sub_band']} ({b['duty_percent']:g} % duty cycle{dwell})"
        used = f"{_s(b['used_s'])} used of {_s(b['allowance_s'])}"
        rows += [("budget", band), ("air this hour", f"{used}, {_s(b['remaining_s'])} left")]
    q = s.get("queue")
    if q:
        wait = q.get("next_frame_in_s")
        when = ""
        if wait is not None:
            when = ", next frame now" if wait == 0 else f", next frame in {_s(wait)}"
        rows.append(("queue", f"{q['frames']:,} frames, {_s(q['airtime_s'])} of air{when}"))
        for name, row in q.get("by_priority", {}).items():
            rows.append((f"  {name}", f"{row['frames']:,} frames, {_s(row['airtime_s'])}"))
    heard = f"{m['heard']:,} verified on the radio ({m['heard_known']:,} already known)"
    outcome = (
        f"{m['accepted']:,} accepted, {m['pending']:,} pending, "
        f"{m['duplicate']:,} duplicate, {m['rejected']:,} rejected"
    )
    rows += [
        ("messages", f"{m['known']:,} known; {m['to_radio']:,} sent to the radio queue"),
        ("heard", heard),
        ("submitted", f"{m['submitted']:,} to the node: {outcome}; {m['waiting']:,} waiting"),
    ]
    rl = s.get("radio_link")
    if rl:
        sync = (
            f"station {rl['station']}, {rl['stations_known']} stations known; "
            f"sync {rl['sync_started']} started, {rl['sync_completed']} completed, "
            f"{rl['sync_failed']} failed, {rl['sync_sessions_open']} open"
        )
        frames_out = ", ".join(f"{k} {v}" for k, v in sorted(rl["frames_out"].items())) or "none"
        frames_in = ", ".join(f"{k} {v}" for k, v in sorted(rl["frames_in"].items())) or "none"
        rows += [("reconcile", sync), ("frames out", frames_out), ("frames in", frames_in)]
    rows += _reticulum_rows(s)
    rows += [("warning", w) for w in s.get("warnings", ())]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    drops = s.get("drops") or []
    lines.append(f"{'last drops'.ljust(width)}  {len(drops) or 'none'}")
    for d in drops:
        at = time.strftime("%H:%M:%S", time.localtime(d["at"]))
        lines.append(f"  {at} {d['where']}: {d['reason']}")
    return "\n".join(lines)


def _when(result: dict[str, Any] | None) -> str:
    if not result:
        return "not yet"
    at = time.strftime("%H:%M:%S", time.localtime(result["at"]))
    return f"{'ok' if result['ok'] else 'FAILED'} at {at}: {result['result']}"


def _reticulum_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    r = s.get("reticulum")
    if r:
        rows.append(
            (
                "identity",
                f"{r['identity']}: caracol.sync {r['destination']}, "
                f"lxmf.delivery {r['lxmf_delivery']}",
            )
        )
    lx = s.get("lxmf")
    if not lx:
        return rows
    rows.append(
        (
            "lxmf",
            f"propagation node {lx['propagation_node']}, collect every {_s(lx['collect_every_s'])}",
        )
    )
    if lx.get("deposit_every_s") is not None:
        rows.append(
            (
                "  deposited",
                f"{lx['bundles_deposited']:,} bundles, {lx['messages_deposited']:,} messages "
                f"(at most one deposit every {_s(lx['deposit_every_s'])}); "
                f"last {_when(lx['last_deposit'])}",
            )
        )
        ph = lx.get("peer_heads") or {}
        if ph.get("learned_at"):
            at = time.strftime("%Y-%m-%d %H:%M", time.localtime(ph["learned_at"]))
            rows.append(("  peer holds", f"{ph['heads']} heads, learned {at}"))
        else:
            rows.append(("  peer holds", "nothing known yet: a deposit carries the whole body"))
    rows += [
        (
            "  collected",
            f"{lx['bundles_collected']:,} bundles ({lx['bundles_rejected']:,} refused whole): "
            f"{lx['messages_accepted']:,} new messages, {lx['messages_known']:,} known, "
            f"{lx['messages_rejected']:,} refused",
        ),
        ("  last collect", _when(lx["last_collect"])),
    ]
    return rows


def status_command(args: argparse.Namespace) -> int:
    doc = fetch_status(args.bridge)
    print(json.dumps(doc, indent=1) if args.json else render_status(doc))
    return 0
