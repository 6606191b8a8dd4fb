"""Process views for the member API: proposals with their full history and
stage, tallies, verdicts, mandates, motions, people and evidence.

Everything shown is derived from the log by the assembly fold
(``protocol.assembly``); the node adds nothing of its own. Each body keeps
its fold up to date as messages arrive (``node.ingest.Body.fold``); the
documents are built on the store thread, which owns the log, so a read
never sees a half-applied write. ``node.view_model`` builds them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any

from aiohttp import web

from protocol import canonical, pertinence
from protocol.assembly import DELIBERATED, Assembly, SubjectKind
from protocol.errors import ProtocolError
from protocol.federal import text_hash
from protocol.federation import BASE_KINDS, Federation, Standing
from protocol.keys import key_from_text
from protocol.kinds import Outcome
from protocol.rules import FEDERAL_PARAMETERS, PARAMETERS, to_params
from protocol.verdict import (
    CommunityVerdict,
    community_verdict,
    make_full_proof,
    presented,
)

from .constituency import applicants, constituency_of
from .ingest import Ingest
from .view_model import Viewer, plain

Runner = Callable[[Callable[[], Any]], Awaitable[Any]]
MAX_TIME = 2**40


class ProcessViews:
    def __init__(self, ingest: Ingest, body_param: Any, run_store: Runner) -> None:
        self.ingest = ingest
        self._body = body_param
        self.run_store = run_store

    def routes(self, prefix: str) -> list[web.RouteDef]:
        b = f"{prefix}/bodies/{{body}}"
        return [
            web.get(f"{b}/proposals", self.proposals),
            web.get(f"{b}/proposals/{{id}}", self.proposal),
            web.get(f"{b}/people", self.people),
            web.get(f"{b}/motions", self.motions),
            web.get(f"{b}/roster", self.roster),
            web.get(f"{b}/mandates", self.mandates),
            web.get(f"{b}/constitution", self.constitution),
            web.get(f"{b}/verdicts", self.verdicts),
            web.get(f"{b}/evidence", self.evidence),
            web.get(f"{b}/federation/{{resolution}}", self.federation),
            web.get(f"{b}/constituents", self.constituents),
            web.get(f"{b}/proof", self.proof),
        ]

    async def _view(self, request: web.Request, build: Callable[[Viewer], Any]) -> web.Response:
        """Build a document for the asking member (``?member=``, hex or ck1
        text) at ``?now=`` (seconds; default the node's clock), on the store
        thread."""
        body = self._body(request)
        member = _member_param(request)
        now = _int_param(request, "now", int(time.time()))
        doc = await self.run_store(lambda: build(Viewer(body.fold(), member, now)))
        return web.json_response(doc)

    async def proposals(self, request: web.Request) -> web.Response:
        return await self._view(request, lambda v: {"proposals": v.proposals()})

    async def proposal(self, request: web.Request) -> web.Response:
        try:
            sid = bytes.fromhex(request.match_info["id"])
        except ValueError:
            sid = b""

        def build(v: Viewer) -> Any:
            s = v.a.subjects.get(sid)
            if s is None:
                return None
            if s.kind in DELIBERATED:
                return v.proposal(sid)
            return v.subject_summary(s)

        body = self._body(request)
        member = _member_param(request)
        now = _int_param(request, "now", int(time.time()))
        doc = await self.run_store(lambda: build(Viewer(body.fold(), member, now)))
        if doc is None:
            return web.json_response(
                {
                    "error": "unknown_proposal",
                    "reason": "no such proposal in this body",
                    "field": "id",
                },
                status=404,
            )
        return web.json_response(doc)

    async def people(self, request: web.Request) -> web.Response:
        return await self._view(request, lambda v: {"people": v.people()})

    async def motions(self, request: web.Request) -> web.Response:
        return await self._view(request, lambda v: {"motions": v.motions()})

    async def roster(self, request: web.Request) -> web.Response:
        body = self._body(request)
        doc = await self.run_store(lambda: {"members": plain(body.fold().roster())})
        return web.json_response(doc)

    async def mandates(self, request: web.Request) -> web.Response:
        return await self._view(request, lambda v: {"mandates": v.mandates()})

    async def constitution(self, request: web.Request) -> web.Response:
        """The constitution in force: version and every parameter."""
        body = self._body(request)
        doc = await self.run_store(lambda: constitution_view(body.fold()))
        return web.json_response(doc)

    async def verdicts(self, request: web.Request) -> web.Response:
        body = self._body(request)
        doc = await self.run_store(lambda: {"verdicts": plain(body.fold().verdicts())})
        return web.json_response(doc)

    async def evidence(self, request: web.Request) -> web.Response:
        body = self._body(request)

        def build() -> dict[str, Any]:
            a = body.fold()
            return {"evidence": plain(a.evidence), "ignored": plain(a.ignored)}

        return web.json_response(await self.run_store(build))

    def fold_body(self, body: Any) -> Assembly:
        fold: Assembly = body.fold()
        return fold

    async def federation(self, request: web.Request) -> web.Response:
        """A higher body's resolution, combined from the verdicts of its
        admitted constituents this node holds (replicated by gossip, or
        imported from relayed proofs), each re-derived from that body's own
        log; bodies that only named it as parent are listed as refused."""
        higher = self._body(request)
        try:
            resolution = bytes.fromhex(request.match_info["resolution"])
        except ValueError:
            return web.json_response(
                {"error": "bad_request", "reason": "resolution is not hex"}, status=400
            )

        def build() -> dict[str, Any]:
            fed, verdicts, refused = self._combine(higher, resolution, 0)
            combined = fed.combine()
            # one person, one Community: a later membership does not count
            for entry in [e for e in verdicts if bytes.fromhex(e["body"]) in fed.doubled]:
                verdicts.remove(entry)
                refused.append({**entry, "reason": fed.doubled[bytes.fromhex(entry["body"])]})
            return {
                "resolution": resolution.hex(),
                "standing": combined.standing.value,
                "count": plain(combined.count),
                "decided": combined.decided,
                "members": combined.members,
                "constituents": sorted(m.hex() for m in fed.members),
                "communities": verdicts,
                "refused": refused,
                "amendments": [self._amendment(fed, c, t) for c, t in combined.amendments],
                "duplicates": [
                    {
                        "key": d.key.hex(),
                        "first": {"body": d.first.body.hex(), "since": d.first.since},
                        "second": {"body": d.second.body.hex(), "since": d.second.since},
                        "reason": d.describe(),
                    }
                    for d in fed.duplicates
                ],
            }

        return web.json_response(await self.run_store(build))

    async def constituents(self, request: web.Request) -> web.Response:
        """A higher body's constituency as this node derives it: the
        founders, each admission (its electorate's combined result), the
        bodies that left and the messages ignored (spec/api.md)."""
        higher = self._body(request)

        def build() -> dict[str, Any]:
            cons = constituency_of(self.ingest, higher)
            names = {b.id: b.log.get(b.id).payload.name for b in applicants(self.ingest, higher.id)}

            def who(body: bytes) -> dict[str, Any]:
                return {"body": body.hex(), "name": names.get(body)}

            return {
                "constituents": [who(b) for b in sorted(cons.members())],
                "founding": sorted(b.hex() for b in cons.founding),
                "admissions": [
                    {
                        "id": x.message.hex(),
                        **who(x.constituent),
                        "note": getattr(higher.log.get(x.message).payload, "note", ""),
                        "standing": x.result.standing.value,
                        "for": x.result.count.votes_for,
                        "decided": x.result.decided,
                        "electorate": sorted(b.hex() for b in x.electorate),
                    }
                    for x in cons.admissions
                ],
                "left": sorted(b.hex() for b in cons.left),
                "ignored": [{"message": m.hex(), "reason": r} for m, r in cons.ignored],
                "applicants": [
                    {**who(b), "reason": cons.why_not(b)}
                    for b in sorted(names)
                    if cons.why_not(b) is not None
                ],
            }

        return web.json_response(await self.run_store(build))

    def _amendment(self, fed: Federation, body: bytes, text: bytes) -> dict[str, Any]:
        """A constituent's verdict that passed an amended text: what the
        higher body's members may carry into their resolution (spec/
        federation.md, "Amendments from constituents")."""
        out: dict[str, Any] = {"body": body.hex(), "text": text.hex(), "amended_text": None}
        child = self.ingest.bodies.get(body)
        v = fed.verdicts().get(body)
        if child is not None and v is not None:
            out["amended_text"] = child.fold().text(v.proposal)
            out["proposal"] = v.proposal.hex()
        return out

    def combined(self, higher: Any, resolution: bytes) -> Federation:
        """``higher``'s view of ``resolution`` from what this node holds."""
        return self._combine(higher, resolution, 0)[0]

    def _combine(
        self, higher: Any, resolution: bytes, depth: int
    ) -> tuple[Federation, list[dict[str, Any]], list[dict[str, Any]]]:
        """Combine ``higher``'s resolution from the verdicts of its admitted
        constituents this node holds: a Community's or Workplace Council's
        re-derived from its own log, a Municipality's or Region's combined
        in turn from its own constituents' verdicts on the proposal that
        presented the resolution to them (spec/federation.md, "Nesting")."""
        cons = constituency_of(self.ingest, higher)
        folded = higher.fold()
        s = folded.subjects.get(resolution)
        # verdicts count FOR only on the resolution's own text
        text = (
            text_hash(folded.text(resolution))
            if s is not None and s.kind == SubjectKind.PROPOSAL
            else None
        )
        initiative = folded.initiatives.get(resolution)
        if initiative is not None:  # the people's constitution: its exact text
            text = initiative.text
        rules = folded.rules_now()[1]  # its own procedures, the people's constitution
        scope = folded.pertinent.get(resolution)
        members = cons.members() if scope is None else cons.members() & scope
        admission = next((x for x in cons.admissions if x.message == resolution), None)
        if admission is not None:  # decided by the constituency just before it
            members = admission.electorate
        fed = Federation(higher.id, resolution, members, rules=rules, text=text)
        fed.federal = s.federal if s is not None else None

        def why_not(body: bytes) -> str | None:
            why = cons.why_not(body)
            if why is None and scope is not None and body not in scope:
                return pertinence.describe(resolution, scope)
            return why

        fed.why_not = why_not
        verdicts: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        for child in applicants(self.ingest, higher.id):
            genesis = child.log.get(child.id).payload
            kind = genesis.body_kind
            if kind in BASE_KINDS:
                v = community_verdict(child.fold(), higher.id, resolution)
            else:
                v = self.level_verdict(child, higher.id, resolution, depth)
            entry = {
                "body": child.id.hex(),
                "name": genesis.name,
                "kind": kind.name.lower(),
                "verdict": None if v is None else plain(v),
            }
            why = why_not(child.id)
            if why is None and v is not None:
                if kind in BASE_KINDS:
                    fed.learn(child.fold(), v)
                why = fed.take(v, kind)
            if why is not None:
                refused.append({**entry, "reason": why})
                continue
            verdicts.append(entry)
        return fed, verdicts, refused

    def level_verdict(
        self, child: Any, higher: bytes, resolution: bytes, depth: int = 0
    ) -> CommunityVerdict | None:
        """A Municipality's (Region's) verdict on a higher resolution: its
        members' verdicts on the proposal that presented it, combined; None
        while not presented or pending (a pending combination is no verdict)."""
        level = self._level(child, higher, resolution, depth)
        return None if level is None else level[0]

    def _level(
        self, child: Any, higher: bytes, resolution: bytes, depth: int
    ) -> tuple[CommunityVerdict, list[dict[str, Any]]] | None:
        """The level verdict and the entries behind it: the counted
        constituents' and those refused with a verdict (a Community too
        small to count), so a node given the level bundle re-derives why
        they do not count instead of taking them for undecided."""
        if depth >= MAX_LEVELS:
            return None
        fold = child.fold()
        presenting = presented(fold, higher, resolution)
        if presenting is None:
            return None
        fed, counted, refused = self._combine(child, presenting, depth + 1)
        counted += [e for e in refused if e["verdict"] is not None]
        result = fed.combine()
        if result.standing == Standing.PENDING:
            return None
        p = fold.subject(presenting).payload
        verdict = CommunityVerdict(
            child.id,
            higher,
            resolution,
            presenting,
            presenting,
            Outcome.PASSED if result.standing == Standing.PASSED else Outcome.FAILED,
            result.count.votes_for,
            result.count.votes_against,
            0,
            result.members,
            text_hash(p.text),
        )
        return verdict, counted

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
        bundle = await self.run_store(lambda: self._bundle(body, higher, resolution, 0))
        if bundle is None:
            return web.json_response(
                {"error": "no_verdict", "reason": "this body has not decided that resolution"},
                status=404,
            )
        logs, proofs = bundle
        if not logs:  # a Community's or Workplace Council's own verdict
            ((_, _, data),) = proofs
            return web.Response(body=data, content_type="application/octet-stream")
        doc = [LEVEL_BUNDLE, logs, [[h, r, d] for h, r, d in proofs]]
        return web.Response(body=canonical.encode(doc), content_type="application/octet-stream")

    def _bundle(
        self, body: Any, higher: bytes, resolution: bytes, depth: int
    ) -> tuple[list[list[bytes]], list[tuple[bytes, bytes, bytes]]] | None:
        """What proves ``body``'s verdict on a higher resolution: for a
        Community its full proof; for a Municipality (Region) its own log
        and, recursively, what proves each counted constituent's verdict on
        the proposal that presented the resolution (spec/api.md, "Relaying
        a level verdict"). None while undecided."""
        kind = body.log.get(body.id).payload.body_kind
        if kind in BASE_KINDS:
            v = community_verdict(body.fold(), higher, resolution)
            if v is None:
                return None
            return [], [(higher, resolution, make_full_proof(body.log, v).encode())]
        level = self._level(body, higher, resolution, depth)
        if level is None:
            return None
        verdict, counted = level
        logs = [[body.log.get(m).raw for m in body.log.order()]]
        proofs: list[tuple[bytes, bytes, bytes]] = []
        for entry in counted:
            if entry["verdict"] is None:
                continue
            child = self.ingest.bodies[bytes.fromhex(entry["body"])]
            sub = self._bundle(child, body.id, verdict.proposal, depth + 1)
            if sub is not None:
                logs += sub[0]
                proofs += sub[1]
        return logs, proofs


MAX_LEVELS = 4
"""Nesting depth a federation view follows (as a level proof does)."""
LEVEL_BUNDLE = 1
"""First element of a level bundle (a full proof starts with its version 0)."""


def constitution_view(a: Assembly) -> dict[str, Any]:
    """``GET …/constitution``: the version and rules in force in the whole
    log, each parameter with its number, name, kind, bounds and whether
    only the Collective amends it (spec/process.md §8a, §12)."""
    version, rules = a.rules_now()
    values = {n: Fraction(num, den) for n, num, den in to_params(rules)}
    return {
        "version": version,
        "body_kind": None if a.body_kind is None else a.body_kind.name.lower(),
        "parameters": [
            {
                "number": number,
                "name": name,
                "kind": kind,
                "value": str(values[number]),
                "low": str(low),
                "high": str(high),
                "federal": number in FEDERAL_PARAMETERS,
            }
            for number, (name, kind, low, high) in sorted(PARAMETERS.items())
        ],
    }


def _bad(reason: str, field: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": "bad_request", "reason": reason, "field": field}),
        content_type="application/json",
    )


def _int_param(request: web.Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 13 or int(text) > MAX_TIME:
        raise _bad(f"{name} must be a whole number of seconds (0..2^40)", name)
    return int(text)


def _member_param(request: web.Request) -> bytes | None:
    text = request.query.get("member")
    if not text:
        return None
    if text.startswith("ck1"):
        try:
            return key_from_text(text)
        except ProtocolError as exc:
            raise _bad(f"member: {exc.reason}", "member") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise _bad("member must be a key as 64 hex digits or ck1 text", "member") from None
    if len(key) != 32:
        raise _bad("member must be a 32-byte key", "member")
    return key
