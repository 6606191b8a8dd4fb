"""The member-facing HTTP API (aiohttp): read logs, submit signed messages,
follow live updates, and the Prometheus ``/metrics`` endpoint.

Members sign on their own devices; this API only ever receives finished
envelopes, so the node cannot forge a vote. Every rejection answers with the
error code, the reason, and the field/byte offset where it was found
(``spec/api.md``, ``node/openapi.json``).

Content types: ``application/octet-stream`` for one message's exact bytes;
``application/json`` with ``{"messages": [hex, ...]}`` for a batch. Reads
return JSON with messages as hex. Live updates: ``GET .../events`` as a
WebSocket (one JSON text frame per accepted message) or, with
``Accept: text/event-stream``, server-sent events (``node.events``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from protocol import canonical, kinds
from protocol.envelope import Envelope, fields_of, open_untrusted
from protocol.errors import ProtocolError
from protocol.verdict import FullProof, ProofError, verify_full_proof

from . import ratelimit
from .constituency import refusal
from .disputes import DisputeViews
from .errors import RateLimited, Superseded
from .events import LiveUpdates
from .ingest import Ingest, Outcome, Status, UnknownBody, vouched_keys
from .justice_views import JusticeViews
from .people import People
from .views import ProcessViews

API_PREFIX = "/v0"
MAX_BODY_BYTES = 4 * 1024 * 1024
RECORD_BYTES = 64 * 1024 * 1024
"""A ratification record holds a whole federation's logs."""

Runner = Callable[[Callable[[], Any]], Awaitable[Any]]
BODY_TIMEOUT: web.AppKey[float] = web.AppKey("body_timeout", float)
"""Seconds a request body (of up to 4 MiB) may take to arrive (``limits.body_timeout``)."""


def _error(status: int, code: str, reason: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "reason": reason, **extra}, status=status)


def _hex_param(request: web.Request, name: str) -> bytes:
    text = request.match_info[name]
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {"error": "bad_request", "reason": f"{name} is not hex", "field": name}
            ),
            content_type="application/json",
        ) from None
    if len(value) != 32:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {"error": "bad_request", "reason": f"{name} must be 32 bytes", "field": name}
            ),
            content_type="application/json",
        )
    return value


def _too_large(limit: int = MAX_BODY_BYTES) -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=limit + 1,
        text=json.dumps({"error": "oversize", "reason": f"request body over {limit} bytes"}),
        content_type="application/json",
    )


async def read_limited(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with 413 past ``limit`` (``MAX_BODY_BYTES``)
    whether its length was declared or it came chunked, and with 408 when it
    has not all arrived within ``limits.body_timeout`` seconds per 4 MiB of
    ``limit`` (a body sent a byte a second held its handler, and its socket,
    for ever; spec/api.md)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    seconds = request.config_dict.get(BODY_TIMEOUT, 60.0) * max(1, limit // MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while chunk := await request.content.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise web.HTTPRequestTimeout(
            text=json.dumps(
                {
                    "error": "body_timeout",
                    "reason": f"the request body did not arrive within {seconds:g} s",
                }
            ),
            content_type="application/json",
        ) from None
    return b"".join(chunks)


def _query_int(request: web.Request, name: str, default: int, maximum: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) > maximum:
        raise web.HTTPBadRequest(
            text=json.dumps(
                {
                    "error": "bad_request",
                    "reason": f"{name} must be a whole number 0..{maximum}",
                    "field": name,
                }
            ),
            content_type="application/json",
        )
    return int(text)


def _level_bundle(
    data: bytes,
) -> tuple[list[list[bytes]], list[Envelope], list[tuple[bytes, bytes, bytes]]]:
    """Decode ``[1, [[raw, …] per body], [[higher, resolution, full proof], …]]``
    (canonical msgpack; spec/api.md): the logs, their geneses and the proofs.
    Every log founds its body, so its first message is opened here, a
    genesis and signed (before the store thread founds anything from it)."""
    try:
        doc = canonical.decode(data, max_bytes=MAX_BODY_BYTES)
    except ProtocolError as exc:
        raise ProofError(f"not canonical msgpack: {exc}") from None
    ok = isinstance(doc, tuple) and len(doc) == 3 and doc[0] == 1
    logs, proofs = (doc[1], doc[2]) if ok else (None, None)
    if not (
        isinstance(logs, tuple)
        and logs
        and all(isinstance(g, tuple) and g and all(isinstance(m, bytes) for m in g) for g in logs)
        and isinstance(proofs, tuple)
        and all(
            isinstance(p, tuple)
            and len(p) == 3
            and all(isinstance(x, bytes) for x in p)
            and len(p[0]) == len(p[1]) == 32
            for p in proofs
        )
    ):
        raise ProofError("expected [1, [[message, …], …], [[id, id, proof], …]]")
    geneses = []
    for i, log in enumerate(logs):
        try:
            geneses.append(open_untrusted(log[0], None))
        except ProtocolError as exc:
            raise ProofError(f"log {i} does not start with a signed genesis: {exc}") from None
    return [list(g) for g in logs], geneses, [(p[0], p[1], p[2]) for p in proofs]


class MemberApi(LiveUpdates):
    """Routes for one node. ``run_store`` runs a callable on the node's single
    store thread (so SQLite has one writer) and awaits its result. The live
    updates (``events``, ``publish``, ``close_subscribers``) are
    ``node.events.LiveUpdates``'."""

    def __init__(self, ingest: Ingest, run_store: Runner, *, node_info: dict[str, Any]) -> None:
        self.ingest = ingest
        self.run_store = run_store
        self.node_info = node_info
        self.started = time.time()
        self.subscribers = {}
        self.on_new_body: Callable[[bytes], None] | None = None
        self.by_key = ratelimit.Buckets(ratelimit.STRANGER_KEY)
        self.by_address = ratelimit.Buckets(ratelimit.STRANGER_ADDRESS)
        self.people = People(ingest)

    def routes(self) -> list[web.RouteDef]:
        p = API_PREFIX
        return [
            web.get(f"{p}/node", self.get_node),
            web.get(f"{p}/bodies", self.list_bodies),
            web.post(f"{p}/bodies", self.post_body),
            web.post(f"{p}/proofs", self.post_proof),
            web.get(f"{p}/bodies/{{body}}/authors/{{key}}", self.get_author),
            web.get(f"{p}/bodies/{{body}}", self.get_body),
            web.get(f"{p}/bodies/{{body}}/messages", self.list_messages),
            web.post(f"{p}/bodies/{{body}}/messages", self.post_messages),
            web.get(f"{p}/bodies/{{body}}/messages/{{id}}", self.get_message),
            web.get(f"{p}/bodies/{{body}}/events", self.events),
            web.get(f"{p}/bodies/{{body}}/constitution/people", self.get_people),
            web.get(f"{p}/ratifications/{{id}}", self.get_ratification),
            web.post(f"{p}/ratifications", self.post_ratification),
            web.get("/metrics", self.metrics),
            *ProcessViews(self.ingest, self._body, self.run_store).routes(p),
            *DisputeViews(self.ingest, self.run_store, self._new_body).routes(p),
            *JusticeViews(self.ingest, self._body, self.run_store).routes(p),
        ]

    def _new_body(self, body_id: bytes) -> None:
        if self.on_new_body is not None:
            self.on_new_body(body_id)

    # --- reads ----------------------------------------------------------------

    # Every read of a log or a fold runs on the store thread (``run_store``),
    # which owns them: iterating them on the event loop while the store thread
    # inserts raised "dictionary changed size during iteration" (a 500).

    async def get_node(self, request: web.Request) -> web.Response:
        info = {k: v for k, v in self.node_info.items() if not k.startswith("_")}
        bodies = await self.run_store(lambda: [b.hex() for b in self.ingest.bodies])
        return web.json_response({**info, "bodies": bodies})

    async def list_bodies(self, request: web.Request) -> web.Response:
        def build() -> list[dict[str, Any]]:
            out = []
            for body_id, body in self.ingest.bodies.items():
                genesis = body.log.get(body_id)
                out.append(
                    {
                        "id": body_id.hex(),
                        "name": getattr(genesis.payload, "name", ""),
                        "messages": len(body.log),
                        "heads": [h.hex() for h in body.log.heads()],
                    }
                )
            return out

        return web.json_response({"bodies": await self.run_store(build)})

    async def post_body(self, request: web.Request) -> web.Response:
        """Found a body here from its signed GENESIS message (raw bytes)."""
        data = await read_limited(request)
        try:
            genesis = await self.run_store(lambda: self.ingest.found(data, origin="api"))
        except ProtocolError as exc:
            return _error(422, exc.code, exc.reason, field=exc.field, offset=exc.offset)
        if self.on_new_body is not None:
            self.on_new_body(genesis.body)
        return web.json_response({"id": genesis.body.hex()}, status=201)

    async def post_proof(self, request: web.Request) -> web.Response:
        """A delegate relays a Community Verdict's full proof by hand
        (``?higher=…&resolution=…``): verified by re-deriving the verdict,
        then its messages are imported as (part of) the Community's log."""
        data = await read_limited(request)
        if data[:2] == b"\x93\x01":  # [1, logs, proofs]: a level bundle
            return await self._post_level_bundle(request, data)
        try:
            higher = bytes.fromhex(request.query["higher"])
            resolution = bytes.fromhex(request.query["resolution"])
            proof = FullProof.decode_untrusted(data)
            verdict = verify_full_proof(proof, higher_body=higher, resolution=resolution)
        except (KeyError, ValueError):
            return _error(400, "bad_request", "give higher= and resolution= as hex", field="higher")
        except ProtocolError as exc:
            return _error(422, exc.code, str(exc))
        if higher not in self.ingest.bodies:
            return _error(
                404, "unknown_body", "this node does not hold the higher body", field="higher"
            )

        def store() -> str | None:
            # kept either way: a refused proof stays as evidence of who tried
            if proof.community not in self.ingest.bodies:
                self.ingest.found(proof.messages[0], origin="delegate relay")
            self.ingest.submit(proof.community, list(proof.messages[1:]), origin="delegate relay")
            return refusal(self.ingest, self.ingest.body(higher), proof, verdict)

        refused = await self.run_store(store)
        if self.on_new_body is not None:
            self.on_new_body(proof.community)
        if refused is not None:
            return web.json_response(
                {
                    "error": "not_a_constituent",
                    "reason": f"the verdict does not count: {refused}",
                    "community": proof.community.hex(),
                    "outcome": verdict.outcome.name.lower(),
                    "kept": True,
                },
                status=403,
            )
        return web.json_response(
            {"community": proof.community.hex(), "outcome": verdict.outcome.name.lower()},
            status=201,
        )

    async def _post_level_bundle(self, request: web.Request, data: bytes) -> web.Response:
        """A delegate relays a Municipality's (Region's) verdict: its own log
        and the full proofs of its constituents' verdicts on the proposal
        that presented the resolution (spec/api.md, "Relaying a level
        verdict"). Every proof is verified and imported like a relayed full
        proof, every log ingested like gossip; the node then combines the
        level verdict itself, as its federation view does."""
        try:
            higher = bytes.fromhex(request.query["higher"])
            resolution = bytes.fromhex(request.query["resolution"])
        except (KeyError, ValueError):
            return _error(400, "bad_request", "give higher= and resolution= as hex", field="higher")
        try:
            logs, geneses, proofs = _level_bundle(data)
        except ProtocolError as exc:
            return _error(422, "bad_proof", f"not a level bundle: {exc}")
        first = geneses[0]
        if higher not in self.ingest.bodies:
            return _error(
                404, "unknown_body", "this node does not hold the higher body", field="higher"
            )
        if not isinstance(first.payload, kinds.Genesis) or first.payload.parent != higher:
            return _error(
                422, "bad_proof", "the bundle's first log is not a body that names the higher body"
            )
        verified: list[tuple[bytes, FullProof]] = []
        for i, (h, r, raw) in enumerate(proofs):
            try:
                proof = FullProof.decode_untrusted(raw)
                verify_full_proof(proof, higher_body=h, resolution=r)
            except ProtocolError as exc:
                return _error(422, "bad_proof", f"proof {i} of the bundle: {exc}")
            verified.append((h, proof))

        def store() -> None:
            for log, g in zip(logs, geneses, strict=True):  # replay order, genesis first
                if g.body not in self.ingest.bodies:
                    self.ingest.found(log[0], origin="delegate relay")
                self.ingest.submit(g.body, list(log[1:]), origin="delegate relay")
            for _, proof in verified:
                if proof.community not in self.ingest.bodies:
                    self.ingest.found(proof.messages[0], origin="delegate relay")
                self.ingest.submit(
                    proof.community, list(proof.messages[1:]), origin="delegate relay"
                )

        await self.run_store(store)
        for body_id in {g.body for g in geneses} | {p.community for _, p in verified}:
            if self.on_new_body is not None:
                self.on_new_body(body_id)
        views = ProcessViews(self.ingest, self._body, self.run_store)
        level = self.ingest.body(first.body)
        verdict = await self.run_store(lambda: views.level_verdict(level, higher, resolution))
        if verdict is None:
            return _error(
                422,
                "bad_proof",
                "the bundle does not prove a decided verdict of that body on the resolution",
            )
        return web.json_response(
            {"community": first.body.hex(), "outcome": verdict.outcome.name.lower(), "level": True},
            status=201,
        )

    async def get_author(self, request: web.Request) -> web.Response:
        """What a member's client needs to sign its next message: its last
        sequence number in this body and the body's current heads."""
        body = self._body(request)
        key = _hex_param(request, "key")

        def build() -> dict[str, Any]:
            mine = body.log.by_author(key)
            return {
                "last_seq": max((e.seq for e in mine), default=0),
                "messages": len(mine),
                "heads": [h.hex() for h in body.log.heads()],
            }

        return web.json_response(await self.run_store(build))

    def _body(self, request: web.Request) -> Any:
        try:
            return self.ingest.body(_hex_param(request, "body"))
        except UnknownBody as exc:
            raise web.HTTPNotFound(
                text=json.dumps({"error": exc.code, "reason": str(exc), "field": "body"}),
                content_type="application/json",
            ) from None

    async def get_body(self, request: web.Request) -> web.Response:
        body = self._body(request)

        def build() -> dict[str, Any]:
            return {
                "id": body.id.hex(),
                "genesis": fields_of(body.log.get(body.id)),
                "messages": len(body.log),
                "heads": [h.hex() for h in body.log.heads()],
                "missing": [m.hex() for m in sorted(body.log.missing())],
                "equivocations": len(body.log.equivocations()),
            }

        return web.json_response(await self.run_store(build))

    async def list_messages(self, request: web.Request) -> web.Response:
        """Messages in replay order, paged: ``?start=N&limit=M``."""
        body = self._body(request)
        start = _query_int(request, "start", 0, 2**40)
        limit = min(_query_int(request, "limit", 500, 2**40), 5000)

        def build() -> dict[str, Any]:
            order = body.log.order()
            page = order[start : start + limit]
            return {
                "start": start,
                "total": len(order),
                "messages": [body.log.get(mid).raw.hex() for mid in page],
            }

        return web.json_response(await self.run_store(build))

    async def get_message(self, request: web.Request) -> web.Response:
        body = self._body(request)
        mid = _hex_param(request, "id")
        env = await self.run_store(lambda: body.log.get(mid) if mid in body.log else None)
        if env is None:
            return _error(404, "unknown_message", "no such message in this body", field="id")
        if request.headers.get("Accept") == "application/octet-stream":
            return web.Response(body=env.raw, content_type="application/octet-stream")
        return web.json_response({"message": env.raw.hex(), "fields": fields_of(env)})

    # --- writes ---------------------------------------------------------------

    async def post_messages(self, request: web.Request) -> web.Response:
        body = self._body(request)
        data = await read_limited(request)
        raws: list[bytes]
        if request.content_type == "application/octet-stream":
            raws = [data]
        elif request.content_type == "application/json":
            try:
                doc = json.loads(data)
                raws = [bytes.fromhex(h) for h in doc["messages"]]
            except (ValueError, KeyError, TypeError, RecursionError) as exc:
                detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                return _error(
                    400,
                    "bad_request",
                    f'expected {{"messages": [hex, ...]}}: {detail}',
                    field="messages",
                )
        else:
            return _error(
                415,
                "bad_request",
                "send application/octet-stream (one message) or application/json",
            )
        gate = self._gate(request.remote or "?")
        try:
            outcomes: list[Outcome] = await self.run_store(
                lambda: self.ingest.submit(body.id, raws, origin="api", judge=True, gate=gate)
            )
        except Superseded as exc:
            return _error(409, "superseded_constitution", exc.reason)
        except RateLimited as exc:
            r = _error(
                429,
                "rate_limited",
                f"too many messages signed by keys this body does not know "
                f"(a newcomer's key is known once a member admits it); "
                f"try again in {exc.seconds} s",
            )
            r.headers["Retry-After"] = str(exc.seconds)
            return r
        status = 200
        if all(o.status is Status.REJECTED for o in outcomes):
            status = 422
        elif any(o.status is Status.ACCEPTED for o in outcomes):
            status = 201
        return web.json_response({"results": [o.to_json() for o in outcomes]}, status=status)

    def _gate(self, address: str) -> Callable[[Any, list[Envelope]], None]:
        """The rate limits of ``node.ratelimit`` as an ingest gate: messages
        signed by keys the body does not know (by key and by address) raise
        ``RateLimited`` before anything is stored; members pass untouched.
        Runs on the store thread, on the envelopes ingest decoded."""

        def gate(body: Any, envs: list[Envelope]) -> None:
            self.people.gate(body, envs)  # no decision under a superseded constitution
            # keys a member's message (held, or earlier in this batch) admits,
            # rotates to or founds count as known, so a whole history relayed
            # at once (a bulletin, a backup) passes; a stranger's ADMIT vouches
            # for nobody (the storage quota's rule, node.ingest.vouched_keys)
            usage = self.ingest.usage(body)
            known = body.fold().membership.known_key

            def trusted(key: bytes) -> bool:
                return usage.knows(known, key)

            coming = vouched_keys(envs, trusted, body.id)
            counts: dict[bytes, int] = {}
            for e in envs:
                if not trusted(e.author) and e.author not in coming:
                    counts[e.author] = counts.get(e.author, 0) + 1
            if not counts:
                return
            now = time.monotonic()
            total = sum(counts.values())
            waits = [self.by_key.wait(k, n, now) for k, n in counts.items()]
            wait = max([*waits, self.by_address.wait(address, total, now)])
            if wait > 0:
                raise RateLimited(max(1, round(wait)))
            for k, n in counts.items():
                self.by_key.take(k, n, now)
            self.by_address.take(address, total, now)

        return gate

    # --- the people's constitution ----------------------------------------------

    async def get_people(self, request: web.Request) -> web.Response:
        """The people's constitution as this body runs under it (spec/api.md)."""
        body = self._body(request)
        return web.json_response(await self.run_store(lambda: self.people.view(body)))

    async def get_ratification(self, request: web.Request) -> web.Response:
        """The ratification record of a RATIFICATION this node verified."""
        rid = _hex_param(request, "id")
        data = await self.run_store(lambda: self.people.record(rid))
        if data is None:
            return _error(
                404,
                "unknown_ratification",
                "this node has not verified that ratification (it holds no such RATIFICATION, "
                "or not the verdicts that prove it)",
                field="id",
            )
        return web.Response(body=data, content_type="application/octet-stream")

    async def post_ratification(self, request: web.Request) -> web.Response:
        """Import a ratification record: its logs are stored like gossip,
        then the node verifies every RATIFICATION it can from what it holds."""
        data = await read_limited(request, RECORD_BYTES)

        def store() -> tuple[list[bytes], dict[str, Any]]:
            bodies = self.people.import_record(data, max_bytes=RECORD_BYTES)
            return bodies, self.people.view(self.ingest.body(bodies[0]))

        try:
            bodies, view = await self.run_store(store)
        except ProofError as exc:
            return _error(422, "bad_record", f"not a ratification record: {exc}")
        for body_id in bodies:
            if self.on_new_body is not None:
                self.on_new_body(body_id)
        verified = [i for i in view.get("initiatives", []) if i["verified"]]
        if not verified:
            pending = [
                f"{i['id'][:16]}…: {i['standing']} ({i['for']} of {i['counting']})"
                for i in view.get("initiatives", [])
            ]
            return _error(
                422,
                "not_ratified",
                "the record's logs are kept, but they prove no ratification: "
                + ("; ".join(pending) or "the Collective holds no initiative"),
            )
        return web.json_response(
            {"collective": bodies[0].hex(), "bodies": len(bodies), "ratified": verified},
            status=201,
        )

    # --- operations -------------------------------------------------------------

    async def metrics(self, request: web.Request) -> web.Response:
        lines = await self.run_store(self._metrics_lines)
        extra = self.node_info.get("_metrics")
        if callable(extra):
            lines += extra()
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    def _metrics_lines(self) -> list[str]:
        """The log-derived metrics (on the store thread)."""
        lines = [
            "# HELP caracol_messages Messages held per body.",
            "# TYPE caracol_messages gauge",
        ]
        for body_id, body in self.ingest.bodies.items():
            lines.append(f'caracol_messages{{body="{body_id.hex()[:16]}"}} {len(body.log)}')
        lines += [
            "# HELP caracol_ingest_total Messages submitted, by outcome.",
            "# TYPE caracol_ingest_total counter",
        ]
        for status, n in self.ingest.counters.items():
            lines.append(f'caracol_ingest_total{{outcome="{status.value}"}} {n}')
        lines += [
            "# HELP caracol_pending_wanted Parent ids wanted by pending messages.",
            "# TYPE caracol_pending_wanted gauge",
        ]
        for body_id, body in self.ingest.bodies.items():
            lines.append(
                f'caracol_pending_wanted{{body="{body_id.hex()[:16]}"}} {len(body.log.missing())}'
            )
        families: dict[str, tuple[str, str, list[str]]] = {
            "caracol_pending_messages": ("gauge", "Messages held waiting for their parents.", []),
            "caracol_pending_bytes": ("gauge", "Bytes of messages waiting for parents.", []),
            "caracol_pending_evicted_total": (
                "counter",
                "Pending messages evicted (the bounds per body and per peer).",
                [],
            ),
            "caracol_pending_by_peer": ("gauge", "Pending messages held per sending peer.", []),
            "caracol_stranger_messages": (
                "gauge",
                "Stored messages signed by keys the body does not know (its quota's use).",
                [],
            ),
            "caracol_stranger_bytes": ("gauge", "Bytes of those messages.", []),
            "caracol_quota_refused_total": (
                "counter",
                "Messages refused: the body's quota for keys it does not know was full.",
                [],
            ),
        }
        for body_id, body in self.ingest.bodies.items():
            b = body_id.hex()[:16]
            stats = body.log.statistics()
            evicted = self.ingest.evicted.get(body_id, 0)
            families["caracol_pending_messages"][2].append(f'{{body="{b}"}} {stats.pending}')
            families["caracol_pending_bytes"][2].append(f'{{body="{b}"}} {stats.pending_bytes}')
            families["caracol_pending_evicted_total"][2].append(f'{{body="{b}"}} {evicted}')
            usage = self.ingest.usage(body)
            families["caracol_stranger_messages"][2].append(f'{{body="{b}"}} {usage.messages}')
            families["caracol_stranger_bytes"][2].append(f'{{body="{b}"}} {usage.bytes}')
            families["caracol_quota_refused_total"][2].append(f'{{body="{b}"}} {usage.refused}')
            for source, n in sorted(body.log.pending_by_source().items()):
                peer = source.removeprefix("peer ").replace("\\", "").replace('"', "")
                families["caracol_pending_by_peer"][2].append(f'{{body="{b}",peer="{peer}"}} {n}')
        for name, (kind, text, samples) in families.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            lines += [name + sample for sample in samples]
        lines += [
            "# HELP caracol_subscribers Live event subscribers.",
            "# TYPE caracol_subscribers gauge",
            f"caracol_subscribers {sum(len(s) for s in self.subscribers.values())}",
            "# HELP caracol_uptime_seconds Seconds since the node started.",
            "# TYPE caracol_uptime_seconds gauge",
            f"caracol_uptime_seconds {time.time() - self.started:.1f}",
        ]
        return lines
