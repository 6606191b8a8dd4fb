"""Every process action of ``caracol member``: its flags, the checks it runs
on the folded state before signing, and the payload it signs.

Each action is a ``build`` function taking a ``Ctx`` (the member's key and
identity, the folded assembly, the parsed flags, the time) and returning
the payload, or raising ``Refusal`` with one line naming what is wrong. The
checks mirror the fold's (``protocol.assembly``, ``protocol.rounds``), so a
message the process would ignore is not signed at all. spec/api.md, "Every
action", lists them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from protocol import kinds
from protocol.assembly import DELIBERATED, Assembly, Subject, SubjectKind
from protocol.constitution import federal_reason
from protocol.errors import ProtocolError
from protocol.hand_counts import HAND_STAGES, witness
from protocol.justice import Council
from protocol.keys import key_to_text, public_key, sign_raw
from protocol.kinds import Kind
from protocol.roster import ROTATE_DOMAIN
from protocol.rules import PARAMETERS, amend, federal_in
from protocol.stages import ACCEPTS, DURATION, FINAL, ROUNDS, VOTING, Stage

from .member_state import Refusal, resolve_id, resolve_person, who
from .member_text import document, ops_for_edit

CHOICES = {
    "for": kinds.Choice.FOR,
    "against": kinds.Choice.AGAINST,
    "abstain": kinds.Choice.ABSTAIN,
}
STAGES = {s.name.lower(): s for s in Stage}
DEBATED = {SubjectKind.PROPOSAL, SubjectKind.DISPUTE, SubjectKind.RESPONSE, SubjectKind.ESCALATION}
"""Subjects members comment on and file grievances about by ``--proposal``:
proposals, and the dispute subjects that run the same process."""


@dataclass
class Ctx:
    a: Assembly
    key: bytes
    identity: bytes
    args: argparse.Namespace
    now: int
    seed: bytes
    fetch_remote: Callable[[str, str, str], dict[str, Any]] | None = None
    get: Callable[[str], dict[str, Any]] | None = None
    """A GET on the node (a JSON view), for actions that need its view."""


def _subject(ctx: Ctx, text: str, flag: str, kinds_: set[SubjectKind] | None = None) -> Subject:
    a = ctx.a
    pool = [s.id for s in a.subjects.values() if kinds_ is None or s.kind in kinds_]
    what = "proposal" if kinds_ and SubjectKind.PROPOSAL in kinds_ else "subject"
    return a.subject(resolve_id(text, pool, flag, what))


def _takes(s: Subject, kind: Kind) -> Stage:
    """The subject's open stage, if it takes ``kind``; else a refusal naming it."""
    stage = s.stage
    if kind in ACCEPTS[stage] or (kind == Kind.VOTE and stage in VOTING):
        return stage
    takers = [n for n, st in STAGES.items() if kind in ACCEPTS[st]]
    if kind == Kind.VOTE:
        takers = [st.name.lower() for st in VOTING]
    raise Refusal(
        f"{Kind(kind).name.lower()} is not taken in stage {stage.name.lower()} "
        f"(taken in: {', '.join(takers) or 'none'})"
    )


def _electorate(ctx: Ctx, s: Subject) -> None:
    if ctx.identity not in s.electorate:
        a = ctx.a
        if isinstance(a, Council) and s.kind == SubjectKind.PLAN:
            if ctx.identity in a.cases[s.payload.case].parties:
                raise Refusal("you are a party to this case: a party does not decide its plans")
            raise Refusal(
                "you are not in this stage's electorate (elected after it opened, or your "
                "seat ended)"
            )
        raise Refusal("you are not in this subject's electorate (you joined after it opened)")


def _holders(s: Subject, category: str, deal_breaker: bool) -> frozenset[bytes]:
    return frozenset(
        g.identity
        for g in s.grievances.values()
        if g.counted and g.category == category and g.deal_breaker == deal_breaker
    )


def _round(ctx: Ctx, s: Subject, kind: Kind) -> bool:
    stage = _takes(s, kind)
    if stage not in ROUNDS:
        raise Refusal(f"no grievance round is open (stage {stage.name.lower()})")
    return ROUNDS[stage]


def _category_holder(ctx: Ctx, s: Subject, category: str, deal_breaker: bool) -> None:
    holders = _holders(s, category, deal_breaker)
    if not holders:
        cats = sorted(
            {
                g.category
                for g in s.grievances.values()
                if g.counted and g.deal_breaker == deal_breaker
            }
        )
        raise Refusal(
            f"--category: no category {category!r} in this round (categories: "
            f"{', '.join(cats) or 'none'})"
        )
    if ctx.identity not in holders:
        raise Refusal(f"you hold no grievance in category {category!r}")


# --- the actions ------------------------------------------------------------


def propose(ctx: Ctx) -> kinds.Payload:
    text = ctx.args.text
    if ctx.args.text_file is not None:
        text = _read(ctx.args.text_file, "--text-file")
    return kinds.Proposal(ctx.args.title, text or "", ctx.args.scope, None, None)


def present(ctx: Ctx) -> kinds.Payload:
    a, args = ctx.a, ctx.args
    higher = _hex32(args.higher, "--higher")
    if a.parent != higher:
        raise Refusal(
            f"--higher: this body's parent is "
            f"{a.parent.hex()[:16] + '…' if a.parent else 'none'}, not {higher.hex()[:16]}…"
        )
    assert ctx.fetch_remote is not None
    view = ctx.fetch_remote(args.from_node, higher.hex(), args.resolution)
    rid = bytes.fromhex(str(view["id"]))
    if not view.get("presentable", view.get("stage") == "carried"):
        raise Refusal(f"--resolution: {view.get('why') or 'it cannot be presented'}")
    return kinds.Proposal(str(view["title"])[:120], str(view["text"]), args.scope, higher, rid)


def comment(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.proposal, "--proposal", DEBATED)
    _takes(s, Kind.COMMENT)
    reply = None
    if ctx.args.reply_to:
        reply = resolve_id(ctx.args.reply_to, [c[1] for c in s.comments], "--reply-to", "comment")
    stance = kinds.Stance[ctx.args.stance.upper()]
    return kinds.Comment(s.id, reply, stance, ctx.args.text)


def vote(ctx: Ctx) -> kinds.Payload:
    args = ctx.args
    choice = CHOICES[args.choice]
    if args.amendment:
        return _amendment_vote(ctx, choice)
    if not args.subject:
        raise Refusal("--subject: name the proposal, motion or mandate to vote on (or --amendment)")
    s = _subject(ctx, args.subject, "--subject")
    stage = _takes(s, Kind.VOTE)
    if stage not in VOTING:
        raise Refusal(f"no vote is open in stage {stage.name.lower()}")
    _electorate(ctx, s)
    return kinds.Vote(s.id, choice)


def unchecked(ctx: Ctx) -> kinds.Payload:
    """``--no-check``: the vote or close as asked, without the eligibility
    checks (ids are still resolved), so the process's own answer shows."""
    args, a = ctx.args, ctx.a
    if args.member_command == "vote":
        if args.amendment:
            pool = [am for s in a.subjects.values() for am in s.amendments]
            aid = resolve_id(args.amendment, pool, "--amendment", "amendment")
            return kinds.AmendmentVote(aid, CHOICES[args.choice])
        return kinds.Vote(_subject(ctx, args.subject, "--subject").id, CHOICES[args.choice])
    s = _subject(ctx, args.subject, "--proposal")
    return kinds.Close(s.id, int(STAGES[args.stage]) if args.stage else int(s.stage))


def _amendment_vote(ctx: Ctx, choice: kinds.Choice) -> kinds.Payload:
    a = ctx.a
    owners = {am: s for s in a.subjects.values() for am in s.amendments}
    aid = resolve_id(ctx.args.amendment, owners, "--amendment", "amendment")
    s = owners[aid]
    _round(ctx, s, Kind.AMENDMENT_VOTE)
    rec = s.amendments[aid]
    if rec.stage != s.stage:
        raise Refusal(f"the amendment belongs to the {rec.stage.name.lower()}, now closed")
    if rec.status != "open":
        raise Refusal(f"the amendment is {rec.status}; its vote is over")
    _electorate(ctx, s)
    return kinds.AmendmentVote(aid, choice)


def grievance(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.proposal, "--proposal", DEBATED)
    _takes(s, Kind.GRIEVANCE)
    if ctx.identity not in s.against:
        raise Refusal("only members whose counted temperature vote was against file grievances")
    return kinds.Grievance(s.id, ctx.args.category, ctx.args.deal_breaker, ctx.args.text)


def agree(ctx: Ctx) -> kinds.Payload:
    a = ctx.a
    owners = {g: s for s in a.subjects.values() for g in s.grievances}
    gid = resolve_id(ctx.args.grievance, owners, "--grievance", "grievance")
    s = owners[gid]
    deal_breaker = _round(ctx, s, Kind.AGREEMENT)
    g = s.grievances[gid]
    if not g.counted or g.deal_breaker != deal_breaker:
        raise Refusal("--grievance: that grievance is not treated in the open round")
    _electorate(ctx, s)
    return kinds.Agreement(gid, ctx.args.agree)


def elect(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.proposal, "--proposal", DEBATED)
    deal_breaker = _round(ctx, s, Kind.DELEGATE_ELECT)
    _category_holder(ctx, s, ctx.args.category, deal_breaker)
    candidate = resolve_person(ctx.a, ctx.args.candidate, "--candidate")
    ident = s.electorate.identity_of(candidate)
    if ident not in _holders(s, ctx.args.category, deal_breaker):
        raise Refusal(f"--candidate: {ctx.args.candidate} holds no grievance in this category")
    return kinds.DelegateElect(s.id, ctx.args.category, candidate)


def plea(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.proposal, "--proposal", DEBATED)
    deal_breaker = _round(ctx, s, Kind.PLEA)
    if not _holders(s, ctx.args.category, deal_breaker):
        raise Refusal(f"--category: no category {ctx.args.category!r} in this round")
    return kinds.Plea(s.id, ctx.args.category, ctx.args.text)


def amendment(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.proposal, "--proposal", {SubjectKind.PROPOSAL})
    deal_breaker = _round(ctx, s, Kind.AMENDMENT)
    _category_holder(ctx, s, ctx.args.category, deal_breaker)
    edited = _read(ctx.args.text_file, "--text-file")
    ops = ops_for_edit(document(ctx.a, s.id), edited)
    return kinds.Amendment(s.id, ctx.args.category, ctx.args.rationale, ops)


def close(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.subject, "--proposal")
    stage = s.stage
    if stage in FINAL:
        raise Refusal(f"nothing to close: the {s.kind.name.lower()} is {stage.name.lower()}")
    if ctx.args.stage and STAGES[ctx.args.stage] != stage:
        raise Refusal(f"--stage: the open stage is {stage.name.lower()}, not {ctx.args.stage}")
    duration = DURATION[stage]
    if ctx.identity == s.facilitator:
        ready = s.opened_time + s.rules.min_duration[duration]
        if ctx.now < ready:
            raise Refusal(f"the {stage.name.lower()} stage runs until at least {_utc(ready)}")
        return kinds.Close(s.id, int(stage))
    if ctx.identity not in s.electorate:
        raise Refusal("you are not in this subject's electorate, so you cannot co-sign its close")
    deadline = s.opened_time + s.rules.deadline[duration]
    if ctx.now < deadline:
        raise Refusal(
            f"{who(ctx.a, s.facilitator)} facilitates and closes this stage; others co-sign "
            f"a close after its deadline, {_utc(deadline)}"
        )
    return kinds.Close(s.id, int(stage))


def admit(ctx: Ctx) -> kinds.Payload:
    key = resolve_person(ctx.a, ctx.args.key, "--key")
    if ctx.a.roster().identity_of(key) is not None:
        raise Refusal(f"--key: {key_to_text(key)[:14]}… is already a member")
    if ctx.a.membership.known_key(key) and ctx.a.membership.identity_of(key) != key:
        raise Refusal("--key: that key was rotated away and cannot rejoin")
    return kinds.Admit(key, ctx.args.name, ctx.args.note)


def leave(ctx: Ctx) -> kinds.Payload:
    return kinds.Leave(ctx.key, ctx.args.reason)


def remove(ctx: Ctx) -> kinds.Payload:
    key = resolve_person(ctx.a, ctx.args.member, "--member")
    if ctx.a.roster().identity_of(key) is None:
        raise Refusal(f"--member: {ctx.args.member} is not a member")
    if key == ctx.key:
        raise Refusal("--member: to leave yourself, use caracol member leave")
    return kinds.Leave(key, ctx.args.reason)


def mandate(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.resolution, "--resolution", set(DELIBERATED))
    if s.stage != Stage.CARRIED:
        raise Refusal(
            f"--resolution: mandates follow a carried resolution; it is {s.stage.name.lower()}"
        )
    delegate = resolve_person(ctx.a, ctx.args.delegate, "--delegate")
    identity = ctx.a.roster().identity_of(delegate)
    if identity is None:
        raise Refusal(f"--delegate: {ctx.args.delegate} is not a member")
    m = kinds.Mandate(s.id, delegate, ctx.args.scope, _when(ctx.args.expires, ctx.now))
    why = ctx.a.term_refusal(m, ctx.now, identity)
    if why is not None:
        raise Refusal(f"--expires/--delegate: {why}")
    return m


def recall(ctx: Ctx) -> kinds.Payload:
    s = _subject(ctx, ctx.args.mandate, "--mandate", {SubjectKind.MANDATE})
    if s.stage != Stage.ADOPTED:
        raise Refusal(f"--mandate: the mandate is not in force ({s.stage.name.lower()})")
    if s.recalled_by is not None:
        raise Refusal("--mandate: the mandate is recalled already")
    _electorate(ctx, s)
    return kinds.RecallVote(s.id, CHOICES[ctx.args.choice])


def rotate(ctx: Ctx) -> kinds.Payload:
    new_seed: bytes = ctx.args.new_seed
    new_key = public_key(new_seed)
    if ctx.a.membership.known_key(new_key):
        raise Refusal("--new-keystore: that key is already in use in this body")
    proof = sign_raw(new_seed, ROTATE_DOMAIN + ctx.a.body_id + ctx.key)
    return kinds.RotateKey(new_key, proof)


def constitution(ctx: Ctx) -> kinds.Payload:
    a = ctx.a
    params = parse_params(ctx.args.param, "--param")
    i = federal_in(params)
    if i is not None:
        raise Refusal(f"--param: {federal_reason(params[i][0], a.body_kind)}")
    version, rules = a.rules_now()
    try:
        amend(rules, params)
    except ProtocolError as exc:
        raise Refusal(f"--param: {exc}") from None
    return kinds.ConstitutionAmendment(version + 1, params, ctx.args.rationale)


def name(ctx: Ctx) -> kinds.Payload:
    return kinds.Name(ctx.key, ctx.args.display_name)


# --- flag parsing helpers --------------------------------------------------

BY_NAME = {rule: number for number, (rule, _, _, _) in PARAMETERS.items()}


def parse_params(specs: list[str], flag: str) -> tuple[tuple[int, int, int], ...]:
    """``name=value`` pairs (``quorum=1/2``, ``deadline.vote=3600``; ``deadline``
    or ``min_duration`` alone sets all five durations) as parameter triples."""
    out: dict[int, tuple[int, int, int]] = {}
    for spec in specs:
        rule, sep, value = spec.partition("=")
        rule = rule.strip()
        if not sep:
            raise Refusal(f"{flag} {spec!r}: expected name=value")
        numbers = [n for r, n in BY_NAME.items() if r == rule or r.startswith(rule + ".")]
        if not numbers:
            raise Refusal(f"{flag} {spec!r}: unknown parameter (known: {', '.join(BY_NAME)})")
        try:
            v = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise Refusal(f"{flag} {spec!r}: {value!r} is not a number or fraction") from None
        for n in numbers:
            out[n] = (n, v.numerator, v.denominator)
    if not out:
        raise Refusal(f"{flag}: give at least one name=value")
    return tuple(out[n] for n in sorted(out))


def hand_count(ctx: Ctx) -> kinds.Payload:
    """The facilitator's show of hands (spec/process.md §6a): counts, who is
    present, the witnesses' signatures (``ctx.args.witness_seeds``, from
    their key cards or keystores, signed here and forgotten)."""
    args, a = ctx.args, ctx.a
    s = _subject(ctx, args.subject, "--subject")
    stage = s.stage
    if stage not in HAND_STAGES:
        raise Refusal(
            f"no hand count is taken in stage {stage.name.lower()} "
            f"(taken in: {', '.join(sorted(x.name.lower() for x in HAND_STAGES))})"
        )
    if ctx.identity != s.facilitator:
        raise Refusal(
            f"only the stage's facilitator ({who(a, s.facilitator)}) records a hand count"
        )
    present = tuple(sorted({resolve_person(a, p, "--present") for p in args.present}))
    for key in present:
        if s.electorate.identity_of(key) is None:
            raise Refusal(f"--present: {key_to_text(key)} is not in this subject's electorate")
    hands = args.votes_for + args.votes_against + args.abstain
    if hands > len(present):
        raise Refusal(f"{hands} hands counted but {len(present)} members --present")
    replaces = None
    if args.replaces:
        pool = [r for r, owner in a.hand_counts().items() if owner == s.id]
        replaces = resolve_id(args.replaces, pool, "--replaces", "hand count")
    unsigned = kinds.HandCount(
        s.id, int(stage), args.votes_for, args.votes_against, args.abstain, present, replaces, ()
    )
    witnesses = []
    for seed in args.witness_seeds:
        key = public_key(seed)
        ident = s.electorate.identity_of(key)
        if ident is None or ident == s.facilitator:
            raise Refusal(
                f"--witness: {key_to_text(key)} is the facilitator or not in the electorate"
            )
        witnesses.append((key, witness(seed, a.body_id, unsigned)))
    need = s.rules.hand_count_witnesses
    if len({k for k, _ in witnesses}) < need:
        raise Refusal(f"a hand count needs {need} witnesses (--witness-card/--witness-keystore)")
    return dataclasses.replace(unsigned, witnesses=tuple(sorted(witnesses)))


def contest_count(ctx: Ctx) -> kinds.Payload:
    a = ctx.a
    owners = a.hand_counts()
    hid = resolve_id(ctx.args.hand_count, list(owners), "--hand-count", "hand count")
    s = a.subject(owners[hid])
    _electorate(ctx, s)
    if s.stage in FINAL:
        raise Refusal(
            f"the subject is {s.stage.name.lower()}: its hand counts can no longer be contested"
        )
    return kinds.HandCountContest(hid, ctx.args.reason)


def _hex32(text: str, flag: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise Refusal(f"{flag}: {text!r} is not hex") from None
    if len(raw) != 32:
        raise Refusal(f"{flag}: give the full 64-hex-digit id")
    return raw


def _read(path: Path, flag: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refusal(f"{flag}: cannot read {path}: {exc}") from None


def _when(text: str, now: int) -> int:
    """``--expires``: a date (2027-06-30), a time in seconds, or +DAYSd."""
    t = text.strip()
    try:
        if t.startswith("+") and t.endswith("d"):
            return now + int(t[1:-1]) * 86_400
        if t.isdigit():
            return int(t)
        d = dt.datetime.fromisoformat(t)
    except ValueError:
        raise Refusal(f"--expires: {text!r} is not a date, +DAYSd or seconds") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return int(d.timestamp())


def _utc(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
