"""Disputes through the node (spec/api.md, "Disputes"): each dispute's state
read from the logs this node holds, and the bundle by which a delegate
brings a party's log to the higher body's node.

The state is ``protocol.disputes.read`` over the folds of the claimant, the
respondent and their higher body, whichever this node holds, with the
higher body's constituency (``node.constituency``) when it holds that body;
the node adds nothing of its own. Raising, answering, mediating and
escalating are signed messages like any other (``POST …/messages``).

A **dispute bundle** is canonical msgpack ``[2, [[message, …], …]]``: whole
logs, each in replay order with its genesis first (the level bundle of
spec/api.md is ``[1, …]``). ``GET /v0/disputes/{id}/bundle`` answers the
parties' logs held here; ``POST /v0/disputes`` verifies every message of a
bundle, ingests the logs (founding the bodies this node lacks) and answers
the state of every dispute they hold. It takes only logs of bodies whose
genesis names a body this node holds as its parent: a node learns the
disputes it is to determine, not everyone's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from protocol import canonical, disputes
from protocol.assembly import Assembly, SubjectKind
from protocol.envelope import Envelope, open_untrusted
from protocol.errors import ProtocolError
from protocol.kinds import Genesis

from .constituency import constituency_of
from .ingest import Ingest

Runner = Callable[[Callable[[], Any]], Awaitable[Any]]
BUNDLE_TAG = 2
MAX_LOGS = 16
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
"""The request limit of every POST (spec/api.md)."""


def _error(status: int, code: str, reason: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "reason": reason, **extra}, status=status)


def _id(text: str, name: str) -> bytes:
    try:
        b = bytes.fromhex(text)
    except ValueError:
        b = b""
    if len(b) != 32:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {"error": "bad_request", "reason": f"{name}: 64 hex digits", "field": name}
            ),
            content_type="application/json",
        )
    return b


class DisputeViews:
    def __init__(
        self, ingest: Ingest, run_store: Runner, on_new_body: Callable[[bytes], None]
    ) -> None:
        self.ingest = ingest
        self.run_store = run_store
        self.on_new_body = on_new_body

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [
            web.get(f"{prefix}/bodies/{{body}}/disputes", self.list_disputes),
            web.get(f"{prefix}/bodies/{{body}}/disputes/{{id}}", self.get_dispute),
            web.get(f"{prefix}/disputes/{{id}}/bundle", self.get_bundle),
            web.post(f"{prefix}/disputes", self.post_bundle),
        ]

    # --- reading (store thread) ---------------------------------------------

    def _fold(self, body: bytes | None) -> Assembly | None:
        b = self.ingest.bodies.get(body) if body is not None else None
        return b.fold() if b is not None else None

    def claimant_of(self, dispute: bytes) -> Assembly | None:
        for b in self.ingest.bodies.values():
            if dispute in b.log:
                a = b.fold()
                s = a.subjects.get(dispute)
                if s is not None and s.kind == SubjectKind.DISPUTE:
                    return a
        return None

    def parties(self, dispute: bytes) -> list[Any]:
        """The bodies held here that are parties to ``dispute``: its claimant
        (whose log holds it) and a respondent whose response names it."""
        out = []
        for b in self.ingest.bodies.values():
            a = b.fold()
            s = a.subjects.get(dispute)
            if (s is not None and s.kind == SubjectKind.DISPUTE) or any(
                r.kind == SubjectKind.RESPONSE and r.payload.dispute == dispute
                for r in a.subjects.values()
            ):
                out.append(b)
        return out

    def involved(self, body: bytes) -> list[bytes] | None:
        """The disputes ``body`` takes part in (protocol.disputes.disputes_of)
        and, for a higher body, those raised by the bodies held here that
        name it as their parent; None if this node does not hold it."""
        a = self._fold(body)
        if a is None:
            return None
        out = [d for _, d in disputes.disputes_of(a)]
        for b in self.ingest.bodies.values():
            child = b.fold()
            if child.parent == body:
                out += [d for c, d in disputes.disputes_of(child) if c == child.body_id]
        return list(dict.fromkeys(out))

    def state(self, dispute: bytes) -> disputes.DisputeState | None:
        claimant = self.claimant_of(dispute)
        if claimant is None:
            return None
        respondent = self._fold(claimant.subjects[dispute].payload.respondent)
        higher = self._fold(claimant.parent)
        members = None
        if higher is not None:
            members = constituency_of(self.ingest, self.ingest.bodies[higher.body_id]).members()
        return disputes.read(dispute, claimant, respondent, higher, constituents=members)

    def names(self) -> dict[bytes, str]:
        out = {}
        for body_id, b in self.ingest.bodies.items():
            g = b.log.get(body_id).payload
            if isinstance(g, Genesis):
                out[body_id] = g.name
        return out

    def document(self, dispute: bytes) -> dict[str, Any] | None:
        s = self.state(dispute)
        return None if s is None else state_json(s, self.names())

    # --- routes -------------------------------------------------------------

    async def list_disputes(self, request: web.Request) -> web.Response:
        body = _id(request.match_info["body"], "body")

        def build() -> dict[str, Any] | None:
            ids = self.involved(body)
            if ids is None:
                return None
            out = []
            for d in ids:
                doc = self.document(d)
                out.append(doc if doc is not None else {"dispute": d.hex(), "status": "unknown"})
            return {"disputes": out}

        doc = await self.run_store(build)
        if doc is None:
            return _error(404, "unknown_body", "this node does not hold that body", field="body")
        return web.json_response(doc)

    async def get_dispute(self, request: web.Request) -> web.Response:
        body = _id(request.match_info["body"], "body")
        dispute = _id(request.match_info["id"], "id")

        def build() -> tuple[bool, dict[str, Any] | None]:
            ids = self.involved(body)
            if ids is None:
                return False, None
            if dispute not in ids:
                return True, None
            return True, self.document(dispute)

        held, doc = await self.run_store(build)
        if not held:
            return _error(404, "unknown_body", "this node does not hold that body", field="body")
        if doc is None:
            return _error(
                404,
                "unknown_dispute",
                "this body takes no part in such a dispute, as far as the logs held here tell",
                field="id",
            )
        return web.json_response(doc)

    async def get_bundle(self, request: web.Request) -> web.Response:
        dispute = _id(request.match_info["id"], "id")

        def build() -> bytes | None:
            logs = [tuple(e.raw for e in b.log.envelopes()) for b in self.parties(dispute)]
            return canonical.encode((BUNDLE_TAG, tuple(logs))) if logs else None

        data = await self.run_store(build)
        if data is None:
            return _error(
                404,
                "unknown_dispute",
                "no log held here raises that dispute or answers it",
                field="id",
            )
        return web.Response(body=data, content_type="application/octet-stream")

    async def post_bundle(self, request: web.Request) -> web.Response:
        from .api import read_limited

        data = await read_limited(request)
        try:
            logs = open_bundle(data)
        except ProtocolError as exc:
            return _error(422, "bad_bundle", f"not a dispute bundle: {exc}")
        held = set(self.ingest.bodies)
        for i, log in enumerate(logs):
            g = log[0].payload
            assert isinstance(g, Genesis)
            if g.parent is None or g.parent not in held:
                return _error(
                    404,
                    "unknown_body",
                    f"log {i} ({g.name}): this node does not hold the body it names as its "
                    "parent, so it does not determine its disputes",
                    field="parent",
                )

        def store() -> dict[str, Any]:
            for log in logs:
                body = log[0].body
                if body not in self.ingest.bodies:
                    self.ingest.found(log[0].raw, origin="dispute relay")
                self.ingest.submit(body, [e.raw for e in log[1:]], origin="dispute relay")
            found = []
            for log in logs:
                a = self.ingest.bodies[log[0].body].fold()
                for _, d in disputes.disputes_of(a):
                    doc = self.document(d)
                    if doc is not None and doc not in found:
                        found.append(doc)
            return {"bodies": [log[0].body.hex() for log in logs], "disputes": found}

        doc = await self.run_store(store)
        for log in logs:
            self.on_new_body(log[0].body)
        return web.json_response(doc, status=201)


def open_bundle(data: bytes) -> list[list[Envelope]]:
    """Decode and verify a dispute bundle (every message, every log
    starting with its genesis); raises ``ProtocolError`` naming the part."""
    from protocol.verdict import ProofError

    value = canonical.decode(data, max_bytes=MAX_BUNDLE_BYTES)
    if (
        type(value) is not tuple
        or len(value) != 2
        or value[0] != BUNDLE_TAG
        or type(value[1]) is not tuple
        or not 1 <= len(value[1]) <= MAX_LOGS
    ):
        raise ProofError(f"expected [2, [[message, …], …]] with 1 to {MAX_LOGS} logs")
    out = []
    for i, log in enumerate(value[1]):
        if type(log) is not tuple or not log or any(type(m) is not bytes for m in log):
            raise ProofError(f"log {i} is not a list of messages")
        try:
            genesis = open_untrusted(log[0], None)
        except ProtocolError as exc:
            raise ProofError(f"log {i} does not start with its genesis: {exc}") from None
        if not isinstance(genesis.payload, Genesis):
            raise ProofError(f"log {i} does not start with its genesis")
        envs = [genesis]
        for j, raw in enumerate(log[1:], 1):
            try:
                envs.append(open_untrusted(raw, genesis.body))
            except ProtocolError as exc:
                raise ProofError(f"log {i} message {j}: {exc}") from None
        out.append(envs)
    return out


def state_json(s: disputes.DisputeState, names: dict[bytes, str]) -> dict[str, Any]:
    def h(b: bytes | None) -> str | None:
        return b.hex() if b is not None else None

    def record(r: disputes.MediationRecord) -> dict[str, Any]:
        return {
            "message": r.message.hex(),
            "delegate": r.delegate.hex(),
            "mandate": r.mandate.hex(),
            "outcome": r.outcome.name.lower(),
            "terms": r.terms,
            "terms_hash": r.terms_hash.hex(),
            "time": r.time,
        }

    return {
        "dispute": s.dispute.hex(),
        "claimant": {"body": s.claimant.hex(), "name": names.get(s.claimant)},
        "respondent": {"body": s.respondent.hex(), "name": names.get(s.respondent)},
        "higher": None
        if s.higher is None
        else {"body": s.higher.hex(), "name": names.get(s.higher)},
        "matter": s.matter,
        "resolution": h(s.resolution),
        "status": s.status,
        "stage": s.stage.name.lower(),
        "response": h(s.response),
        "positions": [
            {
                "party": q.party.hex(),
                "subject": q.subject.hex(),
                "latest": None if q.latest is None else record(q.latest),
                "records": [record(r) for r in q.records],
            }
            for q in s.positions
        ],
        "settlement": h(s.settlement),
        "escalations": [{"id": e.hex(), "stage": st.name.lower()} for e, st in s.escalations],
        "determination": None
        if s.determination is None
        else {
            "escalation": s.determination.escalation.hex(),
            "close": s.determination.close.hex(),
            "text": s.determination.text,
            "text_hash": s.determination.text_hash.hex(),
        },
        "ignored": [{"message": m.hex(), "reason": why} for m, why in s.ignored],
        "notes": list(s.notes),
        "minutes": disputes.lines(s, names),
    }
