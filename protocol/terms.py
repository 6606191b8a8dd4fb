"""Delegates are temporary (seeds 001, 002, 004): term limits and a
cooling-off before the same mandate again (spec/process.md §9a).

* A MANDATE runs at most ``mandate_max_term`` seconds, from its own time to
  its ``expires``; a longer one is ignored.
* A member is nominated for a resolution again only once their last
  adopted term on that resolution has ended — at its expiry, or at the
  recall vote that revoked it if that is in the nomination's past — plus
  ``mandate_cooling_off``. A term that still runs blocks a renewal too, so
  the limit cannot be stretched by re-nominating before expiry.

Pure: the fold passes the adopted mandates in the nomination's causal past
and the identity lookup (keys rotate; the limit follows the person).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .kinds import Mandate
from .rules import DAY, ProcessRules

Held = tuple[Mandate, int | None]
"""An adopted mandate and the time of the recall that revoked it (or None)."""


def days(seconds: int) -> str:
    whole, rest = divmod(seconds, DAY)
    return f"{whole} days" if not rest else f"{seconds / DAY:.1f} days"


def term_refusal(
    nomination: Mandate,
    time: int,
    delegate: bytes,
    rules: ProcessRules,
    held: Iterable[Held],
    identity_of: Callable[[bytes], bytes | None],
) -> str | None:
    """Why ``nomination`` (claimed at ``time``, for the member whose identity
    is ``delegate``) breaks a term limit, or None when it does not."""
    term = nomination.expires - time
    if term > rules.mandate_max_term:
        return (
            f"a mandate runs at most {days(rules.mandate_max_term)} "
            f"(mandate_max_term); this one {days(term)}"
        )
    for mandate, recalled_at in held:
        if mandate.resolution != nomination.resolution:
            continue
        if identity_of(mandate.delegate) != delegate:
            continue
        end = mandate.expires if recalled_at is None else min(mandate.expires, recalled_at)
        if time < end + rules.mandate_cooling_off:
            return (
                f"the same delegate again: their term on this resolution ends at {end}, "
                f"and the cooling-off (mandate_cooling_off, "
                f"{days(rules.mandate_cooling_off)}) runs until "
                f"{end + rules.mandate_cooling_off}"
            )
    return None
