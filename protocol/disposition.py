"""What the assembly process did with one message: taken, or not and why.

A node answers every submitted message with its storage outcome (accepted,
pending, duplicate, rejected); this module adds the process's outcome, so a
member whose vote the process will not count is told so at once instead of
reading "accepted" (spec/api.md, "Honest answers"). It reads what the fold
already recorded: ignored messages with their reasons, and late ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from .assembly import Assembly
from .envelope import Envelope
from .kinds import Kind, Unknown
from .stages import Stage

NOT_FOLDED = frozenset({Kind.VERDICT, Kind.TEXT_EDIT})


@dataclass(frozen=True, slots=True)
class Disposition:
    taken: bool
    reason: str | None = None
    subject: bytes | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"taken": self.taken}
        if not self.taken:
            out["reason"] = self.reason
            out["subject"] = None if self.subject is None else self.subject.hex()
        return out


def disposition(a: Assembly, env: Envelope) -> Disposition:
    """The process's outcome for ``env``, a message of ``a``'s log."""
    ignored = a.ignored_by_id.get(env.id)
    if ignored is not None:
        return Disposition(False, ignored.reason, ignored.subject)
    if isinstance(env.payload, Unknown):
        return Disposition(False, f"kind {env.kind} is unknown to this version: kept, not folded")
    if env.kind in NOT_FOLDED:
        name = Kind(env.kind).name.lower()
        return Disposition(False, f"kept in the log; the process does not act on {name} messages")
    for s in a.subjects.values():
        for stage, cast in s.late:
            if cast.message == env.id:
                return Disposition(False, _late(stage), s.id)
        rec = s.amendments.get(env.id)
        if rec is not None and rec.status == "late":
            return Disposition(False, _late(rec.stage), s.id)
    return Disposition(True)


def _late(stage: Stage) -> str:
    return (
        f"late: stage {stage.name.lower()} closed without this message in the close's causal past"
    )
