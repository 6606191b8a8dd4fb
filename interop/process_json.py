"""The JSON form of a folded assembly (spec/process.md, "Vectors") that
vectors/process.json records and the harness's ``process_fold`` answers
(spec/harness.md)."""

from __future__ import annotations

from typing import Any

from protocol.assembly import Assembly, SubjectKind


def assembly_json(a: Assembly, now: int) -> dict[str, Any]:
    """Subjects, roster, mandates at ``now``, ignored messages, pertinent
    constituents, evidence and the reference's state hash."""
    subjects = []
    for sid, s in sorted(a.subjects.items()):
        v = a.verdict(sid)
        subjects.append(
            {
                "id": sid.hex(),
                "kind": s.kind.name.lower(),
                "stage": s.stage.name.lower(),
                "facilitator": s.facilitator.hex(),
                "minute_taker": s.minute_taker.hex(),
                "mediator": s.mediator.hex(),
                "closes": [
                    {
                        "stage": r.stage.name.lower(),
                        "close": r.closed_by.hex(),
                        "event": r.event.name.lower(),
                        "count": None
                        if r.count is None
                        else [
                            r.count.votes_for,
                            r.count.votes_against,
                            r.count.abstentions,
                            r.count.electorate,
                        ],
                    }
                    for r in s.history
                ],
                "late": sorted(c.message.hex() for _, c in s.late),
                "grievances": [
                    {
                        "id": g.id.hex(),
                        "author": g.identity.hex(),
                        "category": g.category,
                        "deal_breaker": g.deal_breaker,
                        "counted": g.counted,
                        "agree": g.agree,
                        "disagree": g.disagree,
                    }
                    for _, g in sorted(s.grievances.items())
                ],
                "delegates": [
                    [category, deal_breaker, who.hex()]
                    for (category, deal_breaker), who in sorted(s.delegates.items())
                ],
                "pleas": [
                    [stage.name.lower(), plea.hex(), category]
                    for stage, plea, _, category, _ in s.pleas
                ],
                "amendments": {x.id.hex(): x.status for x in s.amendments.values()},
                "text": a.text(sid) if s.kind == SubjectKind.PROPOSAL else None,
                "verdict": None
                if v is None
                else {
                    "outcome": v.outcome.name.lower(),
                    "close": v.close.hex(),
                    "stage": v.deciding_stage.name.lower(),
                    "count": [v.count.votes_for, v.count.votes_against, v.count.abstentions],
                    "electorate": v.electorate,
                },
            }
        )
    return {
        "subjects": subjects,
        "roster": sorted(k.hex() for k in a.roster().current_keys()),
        "mandates": [{"id": m.id.hex(), "status": m.status} for m in a.mandates(now)],
        "ignored": sorted([i.message.hex(), i.reason] for i in a.ignored),
        "pertinent": {
            r.hex(): sorted(b.hex() for b in bs) for r, bs in sorted(a.pertinent.items())
        },
        "evidence": sorted([e.what, e.author.hex()] for e in a.evidence),
        "state_hash": a.state_hash().hex(),
    }
