"""Justice council views for the member API (spec/api.md, "Justice
councils"; spec/justice.md): a council's charter and seats, its cases and
their plans, and the councils a node holds under a Community.

Everything is derived from the council's fold against its Community's
(``protocol.justice``), built on the store thread like the other views.
Case summaries appear only on a case's own page, never in lists: less
exposure on shared screens, not secrecy (the log itself is public to
anyone holding it, spec/justice.md §4).

Writes need no endpoint of their own: the council's GENESIS is founded
with ``POST /v0/bodies`` and every signed message (charter, case, plan,
vote, close) goes through ``POST …/messages``, whose answer says whether
the council's process took it and why not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from protocol.justice import Council
from protocol.kinds import BodyKind
from protocol.minutes import council_minutes
from protocol.process_records import SubjectKind

from .ingest import Ingest
from .view_model import Viewer, count_json, plain
from .views import _int_param

Runner = Callable[[Callable[[], Any]], Awaitable[Any]]


def _not_found(code: str, reason: str, field: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=json.dumps({"error": code, "reason": reason, "field": field}),
        content_type="application/json",
    )


class JusticeViews:
    def __init__(self, ingest: Ingest, body_param: Any, run_store: Runner) -> None:
        self.ingest = ingest
        self._body = body_param
        self.run_store = run_store

    def routes(self, prefix: str) -> list[web.RouteDef]:
        b = f"{prefix}/bodies/{{body}}"
        return [
            web.get(f"{b}/council", self.council),
            web.get(f"{b}/cases", self.cases),
            web.get(f"{b}/cases/{{case}}", self.case),
            web.get(f"{b}/councils", self.councils),
        ]

    async def _council_doc(
        self, request: web.Request, build: Callable[[Council, Viewer, int], Any]
    ) -> web.Response:
        body = self._body(request)
        now = _int_param(request, "now", int(time.time()))

        def run() -> Any:
            a = body.fold()
            if not isinstance(a, Council):
                kind = a.body_kind.name.lower() if a.body_kind is not None else "unknown"
                raise _not_found(
                    "not_a_council",
                    f"body {body.id.hex()[:16]}… is a {kind}, not a justice council "
                    "(a body of kind justice_council under a Community)",
                    "body",
                )
            return build(a, Viewer(a, None, now), now)

        return web.json_response(await self.run_store(run))

    async def council(self, request: web.Request) -> web.Response:
        return await self._council_doc(request, council_view)

    async def cases(self, request: web.Request) -> web.Response:
        return await self._council_doc(
            request, lambda c, v, now: {"cases": [case_summary(c, v, cid) for cid in c.cases]}
        )

    async def case(self, request: web.Request) -> web.Response:
        text = request.match_info["case"]
        try:
            cid = bytes.fromhex(text)
        except ValueError:
            cid = b""

        def build(c: Council, v: Viewer, now: int) -> Any:
            if cid not in c.cases:
                raise _not_found("unknown_case", "no such case in this council", "case")
            return case_detail(c, v, cid)

        return await self._council_doc(request, build)

    async def councils(self, request: web.Request) -> web.Response:
        """The justice councils this node holds under a Community."""
        community = self._body(request)

        def build() -> Any:
            out = []
            for body_id, body in self.ingest.bodies.items():
                g = body.log.get(body_id).payload
                if getattr(g, "body_kind", None) != BodyKind.JUSTICE_COUNCIL:
                    continue
                if getattr(g, "parent", None) != community.id:
                    continue
                c = body.fold()
                assert isinstance(c, Council)
                out.append(
                    {
                        "id": body_id.hex(),
                        "name": getattr(g, "name", ""),
                        "in_session": c.problem is None,
                        "problem": c.problem,
                        "resolution": plain(c.resolution),
                        "cases": len(c.cases),
                    }
                )
            return {"councils": out}

        return web.json_response(await self.run_store(build))


def council_view(c: Council, v: Viewer, now: int) -> dict[str, Any]:
    """``GET …/council``: the charter, the members in force at ``now``,
    every seat with its window and status, and the council's minutes
    (Markdown lines, without case summaries)."""
    g = c.genesis
    seats = [
        {
            **v.person(s.identity),
            "mandate": s.mandate.hex(),
            "since": s.since,
            "until": s.until,
            "ended": s.ended,
            "status": s.status(now),
        }
        for s in c.seats
    ]
    return {
        "id": c.body_id.hex(),
        "name": g.name if g is not None else "",
        "community": plain(c.parent),
        "community_held": c.community is not None,
        "charter": plain(c.charter),
        "resolution": plain(c.resolution),
        "in_session": c.problem is None,
        "problem": c.problem,
        "now": now,
        "members": [s for s in seats if s["status"] == "in force"],
        "seats": seats,
        "cases": len(c.cases),
        "minutes": council_minutes(c, now, {i: r.name for i, r in c.names.all().items()}),
    }


def case_summary(c: Council, v: Viewer, cid: bytes) -> dict[str, Any]:
    """A case in a list: parties, status and plans; never its summary."""
    case = c.cases[cid]
    return {
        "id": cid.hex(),
        "filed_by": v.person(case.filed_by),
        "time": case.time,
        "harmed": [v.person(k) for k in case.harmed],
        "responsible": [v.person(k) for k in case.responsible],
        "status": c.case_status(cid),
        "plans": [
            {
                "id": p.plan.hex(),
                "title": p.title,
                "stage": p.stage.name.lower(),
                "outcome": None if p.verdict is None else p.verdict.outcome.name.lower(),
            }
            for p in c.plan_outcomes(cid)
        ],
    }


def case_detail(c: Council, v: Viewer, cid: bytes) -> dict[str, Any]:
    """``GET …/cases/{id}``: the case with its summary, and each plan with
    its text as amended, whom it repairs, its tallies and verdict."""
    out = case_summary(c, v, cid)
    out["summary"] = c.cases[cid].summary
    plans = []
    for pid in c.plans(cid):
        s = c.subject(pid)
        assert s.kind == SubjectKind.PLAN
        verdict = c.verdict(pid)
        plans.append(
            {
                **v.subject_summary(s),
                "text": c.text(pid),
                "repairs": [v.person(k) for k in s.payload.repairs],
                "tallies": [
                    {"stage": r.stage.name.lower(), "count": count_json(r.count)}
                    for r in s.history
                    if r.count is not None
                ],
                "verdict": None if verdict is None else plain(verdict),
            }
        )
    out["plans"] = plans
    return out
