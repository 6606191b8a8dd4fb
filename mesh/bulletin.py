"""Printable bulletins: a notice-board page whose QR codes carry the signed
messages behind it, so that a paper copy can be scanned back in and verified.

A bulletin shows a body's whole decisions — each proposal's text with its
amendments, its grievances by category and their delegates, every stage's
tally (digital and by hand), deadlines, roles, the verdict and the minutes,
a page or more each — and its mandates, as an HTML page (print it, or let
Chromium turn it into a PDF). Its
QR codes carry the messages of each decision's causal cut — the genesis, the
proposals, the votes and the closes — so a node that scans them holds exactly
what the verdicts were computed from, and re-derives them.

The QR payloads are ``protocol.sneakernet``'s bulletin codes; drawing,
printing and scanning are ``node.paper``'s. Scanned codes give back messages
that are verified and inserted like any others: a tampered code fails to
decode or to verify, and is reported with its reason; nothing in a bulletin is
trusted.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

from crdt.log import Log
from node.paper import qr_png, qr_sheet
from protocol.assembly import Assembly, SubjectKind
from protocol.minutes import minutes, utc
from protocol.sneakernet import bulletin_codes
from protocol.stages import DURATION, FINAL


@dataclass(frozen=True, slots=True)
class Bulletin:
    body: bytes
    html: str
    payloads: tuple[bytes, ...]
    omitted: int = 0  # messages of the causal cuts that did not fit (a bundle carries them)

    def qr_pngs(self, scale: int = 4) -> list[bytes]:
        return [qr_png(p, scale=scale) for p in self.payloads]

    def sheet(self, scale: int = 3, columns: int = 3) -> Any:
        """All codes on one printable image (a grid; a PIL image)."""
        return qr_sheet(self.qr_pngs(scale), columns=columns)


def _messages_for(log: Log, assembly: Assembly, max_bytes: int) -> tuple[list[bytes], int]:
    """Genesis first, then each decision's causal cut, in replay order; and
    how many messages did not fit in ``max_bytes``. A decision goes on the
    notice whole or not at all (oldest first), so every verdict that a scan
    brings back can be re-derived from what it brought."""
    kept: set[bytes] = {log.body}
    size = len(log.get(log.body).raw)
    wanted: set[bytes] = set(kept)
    full = False
    for sid in sorted(assembly.proposals(), key=log.index):
        closes = assembly.subject(sid).closes
        last = closes[-1][1] if closes else sid
        cut = log.causal_past(last) | {last, sid}
        wanted |= cut
        extra = sum(len(log.get(m).raw) for m in cut - kept)
        if full or size + extra > max_bytes:
            full = True
            continue
        kept |= cut
        size += extra
    raws = [log.get(m).raw for m in log.order() if m in kept]
    return raws, len(wanted - kept)


def _who(a: Assembly, names: dict[bytes, str], key_or_identity: bytes) -> str:
    ident = a.membership.identity_of(key_or_identity) or key_or_identity
    return names.get(ident) or key_or_identity.hex()[:8]


def _count(c: Any) -> str:
    return (
        f"FOR {c.votes_for}, AGAINST {c.votes_against}, ABSTAIN {c.abstentions} of {c.electorate}"
    )


def _decision(a: Assembly, sid: bytes, names: dict[bytes, str], now: int) -> str:
    """One decision whole, for people to read: the text with its amendments,
    grievances by category and their delegates, every stage's tally (digital
    and by hand), the deadline, the roles, the verdict and the minutes."""
    s = a.subject(sid)
    e = html.escape
    title = e(getattr(s.payload, "title", "") or s.kind.name.lower())
    v = a.verdict(sid)
    verdict = (
        f"<p><strong>Verdict: {v.outcome.name.lower()}</strong> ({_count(v.count)})</p>"
        if v is not None
        else ""
    )
    deadline = ""
    if s.stage not in FINAL and s.stage in DURATION:
        due = s.opened_time + s.rules.deadline[DURATION[s.stage]]
        deadline = f" · deadline {utc(due)}"
    roles = (
        f"facilitator {e(_who(a, names, s.facilitator))}, minutes "
        f"{e(_who(a, names, s.minute_taker))}, mediator {e(_who(a, names, s.mediator))}"
    )
    parts = [
        f'<section class="decision"><h2>{title}</h2>',
        f"<p>Stage <strong>{s.stage.name.lower()}</strong>{deadline} · {roles} · "
        f"<code>{sid.hex()[:16]}</code></p>",
        verdict,
    ]
    if s.kind == SubjectKind.PROPOSAL:
        parts += _text_html(a, sid, names)
    parts += _grievances_html(a, sid, names)
    tallies = [
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            r.stage.name.lower(),
            r.event.name.lower().replace("_", " "),
            (_count(r.count) if r.count is not None else "—")
            + (f"; {len(r.hand)} hand count(s)" if r.hand else ""),
        )
        for r in s.history
    ]
    if tallies:
        parts.append(
            "<h3>Stages</h3><table><tr><th>stage</th><th>result</th><th>tally</th></tr>"
            f"{''.join(tallies)}</table>"
        )
    lines = minutes(a, sid, names)
    parts.append(f"<h3>Minutes</h3><pre>{e(chr(10).join(lines))}</pre></section>")
    return "".join(parts)


def _text_html(a: Assembly, sid: bytes, names: dict[bytes, str]) -> list[str]:
    """A proposal's text as amended, as proposed when that differs, and its
    friendly amendments."""
    e = html.escape
    s = a.subject(sid)
    proposed = getattr(s.payload, "text", "")
    current = a.text(sid)
    parts = [f"<h3>Text</h3><blockquote>{e(current)}</blockquote>"]
    if current != proposed:
        parts.append(f"<p>As proposed:</p><blockquote>{e(proposed)}</blockquote>")
    amendments = a.amendments(sid)
    if amendments:
        items = "".join(
            "<li>{} for “{}” by {}: {}{}</li>".format(
                e(am.stage.name.lower()),
                e(am.category),
                e(_who(a, names, am.identity)),
                e(am.status),
                f" ({_count(am.count)})" if am.count is not None else "",
            )
            for am in amendments
        )
        parts.append(f"<h3>Friendly amendments</h3><ul>{items}</ul>")
    return parts


def _grievances_html(a: Assembly, sid: bytes, names: dict[bytes, str]) -> list[str]:
    """The grievances by category, with each category's delegate."""
    e = html.escape
    grievances = a.grievances(sid)
    if not grievances:
        return []
    delegates = a.delegates(sid)
    rows = "".join(
        "<tr><td>{}{}</td><td>{}</td><td>{}</td></tr>".format(
            e(cat),
            " (deal-breaker)" if db else "",
            e(_who(a, names, delegates[(cat, db)])) if (cat, db) in delegates else "—",
            "<br>".join(
                f"{e(_who(a, names, g.identity))}: {e(g.text)} "
                f"(agree {g.agree}, disagree {g.disagree})"
                for g in items
            ),
        )
        for (cat, db), items in grievances.items()
    )
    return [
        "<h3>Grievances</h3><table><tr><th>category</th><th>delegate</th>"
        f"<th>grievances</th></tr>{rows}</table>"
    ]


def make_bulletin(
    log: Log, *, title: str = "", now: int = 0, max_bytes: int = 64 * 1024
) -> Bulletin:
    assembly = Assembly(log.body).fold(log)
    raws, omitted = _messages_for(log, assembly, max_bytes)
    payloads = bulletin_codes(log.body, raws)
    name = getattr(log.get(log.body).payload, "name", "")
    names = {i: r.name for i, r in assembly.names.all().items()}
    decisions = "".join(_decision(assembly, sid, names, now) for sid in assembly.proposals())
    mandates = [
        f"<li>{html.escape(m.scope)} — {html.escape(m.status)} (delegate "
        f"{html.escape(_who(assembly, names, m.delegate))}, until {utc(m.expires)})</li>"
        for m in assembly.mandates(now)
    ]
    partial = (
        f"<p><strong>{omitted} newer messages did not fit on this notice</strong>: the codes "
        "carry the older decisions whole (newer ones are listed, not carried); bring the "
        "rest on a USB bundle (<code>caracol export --bundle</code>).</p>"
        if omitted
        else ""
    )
    codes = "".join(
        f'<figure><img alt="signed messages, part {i + 1} of {len(payloads)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
        f"<figcaption>{i + 1} / {len(payloads)}</figcaption></figure>"
        for i, png in enumerate(Bulletin(log.body, "", tuple(payloads)).qr_pngs())
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title or name)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .6em;vertical-align:top}}
figure{{display:inline-block;margin:.5em}} blockquote{{white-space:pre-wrap;margin:.5em 1em}}
pre{{white-space:pre-wrap;font-size:.85em}}
@media print{{figure{{break-inside:avoid}} section.decision,h2.codes{{break-before:page}}}}
</style></head>
<body><h1>{html.escape(title or name)}</h1>
<p>Body <code>{log.body.hex()}</code>. Scan the codes with <code>caracol mesh scan</code>:
they carry the signed messages these decisions were computed from, and every one is
verified on import.</p>
<h2>Mandates</h2><ul>{"".join(mandates) or "<li>none</li>"}</ul>
{decisions or "<p>No proposals yet.</p>"}
<h2 class="codes">Signed messages</h2>{codes}
{partial}</body></html>
"""
    return Bulletin(log.body, page, tuple(payloads), omitted)
