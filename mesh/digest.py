"""The daily digest: open proposals, their stages and deadlines, as short
plain-text messages for LoRa (spec/mesh.md, "Daily digest").

Sans-IO: it reads the node's proposals view (``GET …/proposals``, a list of
JSON summaries) and the time given, and returns texts of at most
``max_bytes`` UTF-8 bytes each, soonest deadline first, so that a plain
Meshtastic device shows them on its screen (text messages, not Caracol
frames) and a bridge sends them within its duty cycle. A digest is a
notice, not evidence: it carries no signature, and every decision it names
is verified from the signed messages.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import LocalMeshError

MAX_TEXT_BYTES = 200
"""Meshtastic carries at most 228 bytes of text in one packet; a margin."""
STAGE_WORDS = {
    "discussion": "discussion",
    "temperature": "temperature vote",
    "concerns": "concerns",
    "minor_round": "grievance round",
    "minor_check": "support vote",
    "major_round": "deal-breaker round",
    "final_vote": "final vote",
    "planning": "planning",
    "motion": "vote",
}
OPEN = frozenset(STAGE_WORDS)


def _when(t: int) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%m-%d %H:%MZ")


def _clip(text: str, max_bytes: int) -> str:
    """``text`` cut (on a character) to ``max_bytes`` UTF-8 bytes, with … if cut."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    cut = data[: max_bytes - 3].decode(errors="ignore")
    return cut + "…"


def _line(p: Mapping[str, Any]) -> str:
    title = p.get("title") or str(p.get("kind", "motion"))
    stage = STAGE_WORDS[str(p["stage"])]
    tally = p.get("tally")
    votes = f" F{tally['for']} A{tally['against']}" if tally else ""
    due = p.get("deadline")
    until = f" until {_when(int(due))}" if due else ""
    return f"«{_clip(str(title), 60)}» {stage}{until}{votes} #{str(p['id'])[:6]}"


def digest_texts(
    body_name: str,
    proposals: Iterable[Mapping[str, Any]],
    now: int,
    *,
    max_bytes: int = MAX_TEXT_BYTES,
) -> list[str]:
    """The digest as texts of at most ``max_bytes`` UTF-8 bytes each: a header
    line, then one line per open subject, soonest deadline first (those with
    none last), packed into as few texts as fit."""
    if max_bytes < 64:
        raise LocalMeshError(f"a digest text needs at least 64 bytes, not {max_bytes}")
    open_ = [p for p in proposals if p.get("stage") in OPEN]
    open_.sort(key=lambda p: (p.get("deadline") is None, p.get("deadline") or 0, p["id"]))
    header = _clip(
        f"{body_name} {_dt.datetime.fromtimestamp(now, _dt.UTC):%Y-%m-%d}: {len(open_)} open",
        max_bytes,
    )
    texts = [header]
    for p in open_:
        line = _clip(_line(p), max_bytes)
        joined = f"{texts[-1]}\n{line}"
        if len(joined.encode()) <= max_bytes:
            texts[-1] = joined
        else:
            texts.append(line)
    return texts
