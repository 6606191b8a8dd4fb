"""The reference reading of a dispute between bodies (spec/federation.md,
"Disputes") in the JSON form vectors/disputes.json records and the
harness's ``dispute_read`` answers (spec/harness.md)."""

from __future__ import annotations

from typing import Any

from protocol import disputes
from protocol.assembly import Assembly
from protocol.kinds import Kind

DISPUTE_KINDS = {Kind.DISPUTE, Kind.MEDIATION, Kind.ESCALATION, Kind.DISPUTE_RESPONSE}


def dispute_read(
    dispute: bytes, folds: dict[bytes, Assembly], constituents: frozenset[bytes] | None
) -> disputes.DisputeState | None:
    """The dispute's state from the folds of the logs a reader holds."""
    claimant = next((a for a in folds.values() if dispute in a.subjects), None)
    if claimant is None:
        return None
    respondent = folds.get(claimant.subjects[dispute].payload.respondent)
    higher = folds.get(claimant.parent) if claimant.parent else None
    return disputes.read(dispute, claimant, respondent, higher, constituents=constituents)


def dispute_json(
    state: disputes.DisputeState | None, folds: dict[bytes, Assembly]
) -> dict[str, Any]:
    fold_ignored = {
        b.hex(): sorted([i.message.hex(), i.reason] for i in a.ignored if i.kind in DISPUTE_KINDS)
        for b, a in sorted(folds.items())
    }
    if state is None:
        return {"state": None, "fold_ignored": fold_ignored}
    return {
        "state": {
            "status": state.status,
            "claimant": state.claimant.hex(),
            "respondent": state.respondent.hex(),
            "higher": state.higher.hex() if state.higher else None,
            "stage": state.stage.name.lower(),
            "response": state.response.hex() if state.response else None,
            "positions": [
                {
                    "party": q.party.hex(),
                    "subject": q.subject.hex(),
                    "records": [r.message.hex() for r in q.records],
                    "latest": None
                    if q.latest is None
                    else {
                        "message": q.latest.message.hex(),
                        "outcome": q.latest.outcome.name.lower(),
                        "terms_hash": q.latest.terms_hash.hex(),
                    },
                }
                for q in state.positions
            ],
            "settlement": state.settlement.hex() if state.settlement else None,
            "escalations": [[e.hex(), st.name.lower()] for e, st in state.escalations],
            "determination": None
            if state.determination is None
            else {
                "escalation": state.determination.escalation.hex(),
                "close": state.determination.close.hex(),
                "text": state.determination.text,
            },
            "ignored": sorted([m.hex(), why] for m, why in state.ignored),
        },
        "fold_ignored": fold_ignored,
    }
