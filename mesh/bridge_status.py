"""``caracol mesh status``: the bridge's status document fetched from its
address on 127.0.0.1 and printed as a table for an operator (or as JSON)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .bridge_config import BridgeError
from .transport import LinkState, Transport

if TYPE_CHECKING:
    from .bridge import Bridge


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


# --- the document a running bridge serves ------------------------------------------


def status_of(bridge: Bridge) -> dict[str, Any]:
    """A running bridge's status document (JSON-safe): what ``caracol mesh
    status`` shows and the periodic line summarises."""
    link, radio, cfg = bridge.link, bridge.radio, bridge.config
    out: dict[str, Any] = {
        "node": {
            "url": cfg.node,
            "body": bridge.body.hex(),
            "events": "connected" if bridge.events_connected else "reconnecting",
            "reconnects": bridge.reconnects,
        },
        "uptime_s": round(time.time() - bridge.started, 1),
        "radio": {"kind": cfg.radio.kind, "address": cfg.radio.address},
        "messages": {
            "known": len(bridge.messages),
            "waiting": len(bridge.pending),
            **bridge.counts,
        },
        "drops": [dataclasses.asdict(d) for d in bridge.drops],
        "warnings": list(bridge.warnings),
    }
    if bridge.reticulum is not None:
        out["reticulum"] = dict(bridge.reticulum)
    if bridge.store_and_forward is not None:  # a copy, JSON-safe
        out["lxmf"] = json.loads(json.dumps(bridge.store_and_forward.status))
    if radio is not None:
        out["radio"]["mtu"] = radio.mtu
        out["radio"]["settings"] = getattr(radio, "radio_settings", None)
        out["radio"]["device_region"] = getattr(radio, "device_region", None)
        out["link"] = {"state": radio.link_state().value, **_plain(radio.statistics())}
    else:
        out["link"] = {"state": LinkState.DOWN.value}
    if link is not None:
        now = link.clock()
        band = link.budget.band
        q = link.queue.report(now)
        out["budget"] = {
            "region": cfg.region,
            "mhz": cfg.mhz,
            "sub_band": band.name,
            "duty_percent": band.duty * 100,
            "dwell_s": band.dwell_s,
            "used_s": round(q.used_s, 3),
            "allowance_s": round(q.allowance_s, 3),
            "remaining_s": round(q.remaining_s, 3),
            "window_s": link.budget.window_s,
        }
        out["queue"] = {
            "frames": q.queued_frames,
            "airtime_s": round(q.queued_airtime_s, 3),
            "by_priority": {
                name: {"frames": n, "airtime_s": round(a, 3)}
                for name, (n, a) in q.by_priority.items()
            },
            "next_frame_in_s": None if q.next_send_in_s is None else round(q.next_send_in_s, 1),
            "reserved_s": round(q.reserved_s, 3),
        }
        out["messages"]["delivered"] = link.delivered
        out["radio_link"] = _plain(link.statistics())
    return out


# Meshtastic's region codes for the regions Caracol knows the duty cycle of.
DEVICE_REGIONS = {"EU_868": "EU868", "US": "US915"}


def region_mismatch(region: str, radio: Transport) -> str | None:
    """A warning when the radio says it is set to another region than --region."""
    device = getattr(radio, "device_region", None)
    if device is None:
        return None
    if DEVICE_REGIONS.get(device) != region:
        return (
            f"the radio is set to region {device}, but the budget follows --region {region}; "
            "give the region the radio transmits in"
        )
    return None


def _plain(value: Any) -> Any:
    """A dataclass (or nested values) as JSON-safe data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def log_line(s: dict[str, Any]) -> str:
    """The bridge's periodic line."""
    b, q, lk, m = s.get("budget", {}), s.get("queue", {}), s["link"], s["messages"]
    signal = ""
    if lk.get("rssi_dbm") is not None or lk.get("snr_db") is not None:
        signal = f" (RSSI {lk.get('rssi_dbm')} dBm, SNR {lk.get('snr_db')} dB)"
    return (
        f"link {lk['state']}{signal}; air used {b.get('used_s', 0):.1f}/"
        f"{b.get('allowance_s', 0):.1f} s this hour, {q.get('frames', 0)} frames queued "
        f"({q.get('airtime_s', 0):.1f} s), {m.get('delivered', 0)} heard, "
        f"{m['submitted']} submitted, {len(s['drops'])} dropped" + _lxmf_line(s.get("lxmf"))
    )


def _lxmf_line(lx: dict[str, Any] | None) -> str:
    if not lx:
        return ""
    return (
        f"; lxmf {lx['messages_deposited']} deposited, {lx['messages_accepted']} collected, "
        f"{lx['bundles_rejected'] + lx['messages_rejected']} refused"
    )
