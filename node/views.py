"""Process views for the member API: proposals with their full history and
stage, tallies, verdicts, mandates, rosters and evidence.

Everything shown is derived from the log by the assembly fold
(``protocol.assembly``); the node adds nothing of its own. A body's fold is
cached and recomputed only when its log changed (its length or heads).
"""

from __future__ import annotations

import dataclasses
import time
from enum import Enum
from typing import Any

from aiohttp import web

from protocol.assembly import Assembly
from protocol.federation import Federation
from protocol.kinds import Genesis
from protocol.minutes import minutes
from protocol.verdict import community_verdict, make_full_proof

from .ingest import Ingest


def plain(value: Any) -> Any:
    """A JSON-able form of fold results: bytes as hex, enums by name."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Enum):
        return value.name.lower()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    members = getattr(value, "members", None)  # a Roster: identity -> current key
    if members is not None:
        members = members() if callable(members) else members
        return {plain(k): plain(v) for k, v in members.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class ProcessViews:
    def __init__(self, ingest: Ingest, body_param: Any) -> None:
        self.ingest = ingest
        self._body = body_param
        self._cache: dict[bytes, tuple[tuple[int, tuple[bytes, ...]], Assembly]] = {}

    def routes(self, prefix: str) -> list[web.RouteDef]:
        b = f"{prefix}/bodies/{{body}}"
        return [
            web.get(f"{b}/proposals", self.proposals),
            web.get(f"{b}/proposals/{{id}}", self.proposal),
            web.get(f"{b}/roster", self.roster),
            web.get(f"{b}/mandates", self.mandates),
            web.get(f"{b}/verdicts", self.verdicts),
            web.get(f"{b}/evidence", self.evidence),
            web.get(f"{b}/federation/{{resolution}}", self.federation),
            web.get(f"{b}/proof", self.proof),
        ]

    def assembly(self, request: web.Request) -> Assembly:
        return self.fold_body(self._body(request))

    async def proposals(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        out = []
        for sid in a.proposals():
            s = a.subject(sid)
            v = a.verdict(sid)
            out.append(
                {
                    "id": sid.hex(),
                    "title": getattr(s.payload, "title", ""),
                    "stage": a.stage(sid).name.lower(),
                    "author": s.author.hex(),
                    "time": s.time,
                    "verdict": None if v is None else plain(v),
                }
            )
        return web.json_response({"proposals": out})

    async def proposal(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        try:
            sid = bytes.fromhex(request.match_info["id"])
            s = a.subject(sid)
        except (ValueError, KeyError):
            return web.json_response(
                {
                    "error": "unknown_proposal",
                    "reason": "no such proposal in this body",
                    "field": "id",
                },
                status=404,
            )
        text, skipped = a.text_and_skipped(sid)
        return web.json_response(
            {
                "id": sid.hex(),
                "title": getattr(s.payload, "title", ""),
                "stage": a.stage(sid).name.lower(),
                "facilitator": s.facilitator.hex(),
                "text": text,
                "skipped_amendments": plain(skipped),
                "tallies": plain(a.tallies(sid)),
                "grievances": [
                    {"category": cat, "deal_breaker": db, "items": plain(items)}
                    for (cat, db), items in a.grievances(sid).items()
                ],
                "delegates": [
                    {"category": cat, "deal_breaker": db, "delegate": d.hex()}
                    for (cat, db), d in a.delegates(sid).items()
                ],
                "amendments": plain(a.amendments(sid)),
                "late_votes": plain(a.late_votes(sid)),
                "verdict": plain(a.verdict(sid)),
                "history": plain(s.history),
                "minutes": minutes(a, sid),
            }
        )

    async def roster(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        return web.json_response({"members": plain(a.roster())})

    async def mandates(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        now = int(request.query.get("now", time.time()))
        return web.json_response({"mandates": plain(a.mandates(now))})

    async def verdicts(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        return web.json_response({"verdicts": plain(a.verdicts())})

    async def evidence(self, request: web.Request) -> web.Response:
        a = self.assembly(request)
        return web.json_response({"evidence": plain(a.evidence), "ignored": plain(a.ignored)})

    def fold_body(self, body: Any) -> Assembly:
        key = (len(body.log), body.log.heads())
        cached = self._cache.get(body.id)
        if cached is None or cached[0] != key:
            cached = (key, Assembly(body.id).fold(body.log))
            self._cache[body.id] = cached
        return cached[1]

    async def federation(self, request: web.Request) -> web.Response:
        """A higher body's resolution, combined from the verdicts of the
        member bodies this node holds (replicated by gossip, or imported from
        relayed proofs): each is re-derived from that body's own log."""
        higher = self._body(request)
        try:
            resolution = bytes.fromhex(request.match_info["resolution"])
        except ValueError:
            return web.json_response(
                {"error": "bad_request", "reason": "resolution is not hex"}, status=400
            )
        children = [
            b
            for b in self.ingest.bodies.values()
            if isinstance((g := b.log.get(b.id).payload), Genesis) and g.parent == higher.id
        ]
        fed = Federation(higher.id, resolution, frozenset(b.id for b in children))
        verdicts = []
        for child in children:
            v = community_verdict(self.fold_body(child), higher.id, resolution)
            if v is not None:
                fed.proven[child.id] = v
            verdicts.append(
                {
                    "body": child.id.hex(),
                    "name": child.log.get(child.id).payload.name,  # type: ignore[attr-defined]
                    "verdict": None if v is None else plain(v),
                }
            )
        combined = fed.combine()
        return web.json_response(
            {
                "resolution": resolution.hex(),
                "standing": combined.standing.value,
                "count": plain(combined.count),
                "decided": combined.decided,
                "members": combined.members,
                "communities": verdicts,
            }
        )

    async def proof(self, request: web.Request) -> web.Response:
        """The full proof of this body's verdict on a higher body's resolution
        (``?higher=…&resolution=…``), for a delegate to relay by hand."""
        body = self._body(request)
        try:
            higher = bytes.fromhex(request.query["higher"])
            resolution = bytes.fromhex(request.query["resolution"])
        except (KeyError, ValueError):
            return web.json_response(
                {
                    "error": "bad_request",
                    "reason": "give higher= and resolution= as hex",
                    "field": "higher",
                },
                status=400,
            )
        v = community_verdict(self.fold_body(body), higher, resolution)
        if v is None:
            return web.json_response(
                {"error": "no_verdict", "reason": "this body has not decided that resolution"},
                status=404,
            )
        return web.Response(
            body=make_full_proof(body.log, v).encode(), content_type="application/octet-stream"
        )
