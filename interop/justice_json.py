"""The JSON form of a justice council's fold (spec/justice.md, "Vectors")
that vectors/justice.json records and the harness's ``council_fold``
answers (spec/harness.md)."""

from __future__ import annotations

from typing import Any

from protocol.justice import Council


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def council_json(c: Council, now: int) -> dict[str, Any]:
    """The council's charter, seats, members at ``now``, cases with their
    plans, ignored messages and the reference's state hash."""
    cases = []
    for case in sorted(c.cases.values(), key=lambda x: x.id):
        plans = []
        for pid in c.plans(case.id):
            s = c.subject(pid)
            v = c.verdict(pid)
            plans.append(
                {
                    "id": pid.hex(),
                    "stage": s.stage.name.lower(),
                    "closes": [
                        [
                            r.stage.name.lower(),
                            r.event.name.lower(),
                            None
                            if r.count is None
                            else [
                                r.count.votes_for,
                                r.count.votes_against,
                                r.count.abstentions,
                                r.count.electorate,
                            ],
                        ]
                        for r in s.history
                    ],
                    "verdict": None if v is None else v.outcome.name.lower(),
                }
            )
        cases.append(
            {
                "id": case.id.hex(),
                "filed_by": case.filed_by.hex(),
                "harmed": [k.hex() for k in case.harmed],
                "responsible": [k.hex() for k in case.responsible],
                "status": c.case_status(case.id),
                "plans": plans,
            }
        )
    return {
        "charter": _hex(c.charter),
        "resolution": _hex(c.resolution),
        "problem": c.problem,
        "seats": [
            {
                "mandate": s.mandate.hex(),
                "identity": s.identity.hex(),
                "since": s.since,
                "until": s.until,
                "ended": s.ended,
            }
            for s in c.seats
        ],
        "members": sorted(s.identity.hex() for s in c.members(now)),
        "cases": cases,
        "ignored": sorted([i.message.hex(), i.reason] for i in c.ignored),
        "state_hash": c.state_hash().hex(),
    }
