"""How a body's fold reads the people's constitution (spec/constitution.md,
"The people's constitution").

* CONSTITUTION_INITIATIVE, in the Collective's log, from **anyone** (no
  membership needed: "anyone may propose an amendment"): kept as a
  resolution when it amends the version in force in its cut
  (``federal.amended``); every body presents its text like any higher
  resolution.
* RATIFICATION, in the Collective's log, by a member: a ``Claim`` when it
  names a kept initiative in its causal past, the version that initiative
  makes and its digest, and the version the initiative amends is still the
  one in force. It *applies* — the Collective runs under the new version
  from it on — only when the reader has verified it (``ratified``: the
  combination re-derived by ``protocol.ratification.verify``).
* CONSTITUTION_ADOPTION, in every other body, by a member: applies a
  verified ratification from that point of the body's log, one version at
  a time.

A subject runs under the version in force in its own cut, as with a body's
own amendments. Called by the assembly fold with the fold itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .envelope import Envelope
from .errors import OutOfRange
from .federal import Claim, amended, initiative_text, text_hash
from .kinds import BodyKind, ConstitutionAdoption, ConstitutionInitiative, Ratification

if TYPE_CHECKING:
    from .assembly import Assembly


def initiative(a: Assembly, env: Envelope) -> None:
    p = env.payload_as(ConstitutionInitiative)
    if a.body_kind != BodyKind.COLLECTIVE:
        a._ignore(env, "a constitution initiative is made in the Collective's log")
        return
    before = a.federal_at(a.log.causal_past(env.id))
    try:
        after = amended(before, p)
    except OutOfRange as exc:
        a._ignore(env, f"initiative rejected: {exc}")
        return
    a.initiatives[env.id] = Claim(b"", env.id, text_hash(initiative_text(p)), before, after)


def ratification(a: Assembly, env: Envelope, identity: bytes) -> None:
    p = env.payload_as(Ratification)
    if a.body_kind != BodyKind.COLLECTIVE:
        a._ignore(env, "a ratification is made in the Collective's log")
        return
    init = a.initiatives.get(p.initiative)
    if init is None or not a._before(p.initiative, env.id):
        a._ignore(env, "names no initiative of this body in its causal past")
        return
    if any(c.initiative == p.initiative for c in a.claims.values()):
        a._ignore(env, "that initiative's ratification is already recorded")
        return
    if p.version != init.after.version or p.constitution != init.after.digest():
        a._ignore(
            env,
            f"names version {p.version} and a digest other than the initiative's "
            f"version {init.after.version}",
        )
        return
    now = a.federal_at(a.log.causal_past(env.id))
    if now.version != init.before.version:
        a._ignore(
            env,
            f"the initiative amends version {init.before.version}; version {now.version} is "
            f"in force (another initiative was ratified first)",
        )
        return
    claim = Claim(env.id, init.initiative, init.text, init.before, init.after)
    a.claims[env.id] = claim
    verified = a.ratified.get(env.id)
    if verified is not None and verified.digest() == claim.after.digest():
        a.federal_changes.append((env.id, claim.after))


def adoption(a: Assembly, env: Envelope, identity: bytes) -> None:
    p = env.payload_as(ConstitutionAdoption)
    if a.body_kind == BodyKind.COLLECTIVE:
        a._ignore(env, "the Collective applies a ratification from the RATIFICATION itself")
        return
    verified = a.ratified.get(p.ratification)
    if verified is None:
        a._ignore(
            env,
            f"ratification {p.ratification.hex()[:16]}… is not verified by this reader "
            f"(its record has not been checked here)",
        )
        return
    if p.version != verified.version or p.constitution != verified.digest():
        a._ignore(
            env, f"names another version or digest than ratification {p.ratification.hex()[:16]}…"
        )
        return
    now = a.federal_at(a.log.causal_past(env.id))
    if p.version != now.version + 1:
        a._ignore(env, f"adopts version {p.version}; version {now.version} is in force here")
        return
    a.federal_changes.append((env.id, verified))
