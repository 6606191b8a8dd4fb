"""A testing kit for the assembly process: write a scenario in a few lines.

``Scenario`` founds a body with named members (deterministic seeds from the
names), signs every message with increasing sequence numbers and claimed
times, and adds it to one ``crdt.log.Log``. By default a message's parents
are the log's heads (the author has seen everything); pass ``parents=`` to
make it concurrent with what it has not seen, ``seq=`` to make an author
equivocate, ``time=`` to claim a time. ``assembly()`` folds the log.

Used by tests/process, spec/vectors/gen_process.py and the process
benchmark; sans-IO like the rest of ``protocol``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from crdt.log import Log

from .assembly import Assembly, RulesAmender
from .envelope import Envelope, sign
from .errors import LocalProtocolError
from .keys import public_key, sign_raw
from .kinds import (
    Admit,
    Agreement,
    Amendment,
    AmendmentVote,
    BodyKind,
    Case,
    Choice,
    Close,
    Comment,
    CouncilCharter,
    DelegateElect,
    Genesis,
    Grievance,
    HandCount,
    HandCountContest,
    Leave,
    Mandate,
    Payload,
    Plan,
    Plea,
    Proposal,
    RecallVote,
    RotateKey,
    Stance,
    Vote,
)
from .nesting import LevelProof
from .roster import ROTATE_DOMAIN
from .rules import ProcessRules, to_params
from .stages import DURATION, Stage
from .verdict import FullProof, community_verdict, make_full_proof

T0 = 1_790_000_000


def seed_of(name: str) -> bytes:
    return hashlib.sha256(b"caracol process test " + name.encode()).digest()


class Scenario:
    """One body, its members by name, and its log (see the module docstring)."""

    def __init__(
        self,
        members: Sequence[str] = ("ana", "bea", "cruz", "dev", "eli"),
        *,
        rules: ProcessRules | None = None,
        body_kind: BodyKind = BodyKind.COMMUNITY,
        name: str = "Caracol test community",
        parent: bytes | None = None,
        amend_rules: RulesAmender | None = None,
        now: int = T0,
    ) -> None:
        self.rules = rules or ProcessRules()
        self.amend_rules = amend_rules
        self.seeds: dict[str, bytes] = {}
        self.names: dict[bytes, str] = {}
        self.seq: dict[str, int] = {}
        self.now = now
        self.messages: list[Envelope] = []
        founders = tuple(sorted(self.key(n) for n in members))
        genesis = sign(
            self.seed(members[0]),
            None,
            Genesis(body_kind, name, parent, founders, to_params(self.rules), b"test"),
            seq=self._next_seq(members[0]),
            time=self.now,
        )
        self.body = genesis.id
        self.log = Log(self.body)
        self._live = self._fresh()
        self._add(genesis)

    # --- identities -------------------------------------------------------------

    def seed(self, name: str) -> bytes:
        if name not in self.seeds:
            s = seed_of(name)
            self.seeds[name] = s
            self.names[public_key(s)] = name
        return self.seeds[name]

    def key(self, name: str) -> bytes:
        return public_key(self.seed(name))

    def name_of(self, key: bytes) -> str:
        return self.names.get(key, key.hex()[:8])

    def _next_seq(self, name: str) -> int:
        self.seq[name] = self.seq.get(name, 0) + 1
        return self.seq[name]

    # --- posting ------------------------------------------------------------------

    def _add(self, env: Envelope) -> Envelope:
        self.messages.append(env)
        self._live.update(self.log, self.log.add(env))
        return env

    def heads(self) -> tuple[bytes, ...]:
        return self.log.heads()

    def advance(self, seconds: int) -> None:
        self.now += seconds

    def post(
        self,
        name: str,
        payload: Payload,
        *,
        parents: Iterable[bytes] | None = None,
        seq: int | None = None,
        time: int | None = None,
        signer: bytes | None = None,
    ) -> Envelope:
        """Sign ``payload`` as ``name`` and add it to the log."""
        self.now += 1
        env = sign(
            signer or self.seed(name),
            self.body,
            payload,
            parents=tuple(self.heads() if parents is None else parents),
            seq=self._next_seq(name) if seq is None else seq,
            time=self.now if time is None else time,
        )
        return self._add(env)

    def assembly(self) -> Assembly:
        """A fresh fold of the log (independent of later posts)."""
        return self._fresh()

    def _fresh(self) -> Assembly:
        return Assembly(self.body, self.rules, amend_rules=self.amend_rules).fold(self.log)

    @property
    def live(self) -> Assembly:
        """The kit's own assembly, updated incrementally after every post."""
        return self._live

    # --- the process in one line each --------------------------------------------

    def propose(
        self, name: str, title: str = "Plant a garden", text: str = "We plant it.", **kw: Any
    ) -> bytes:
        return self.post(name, Proposal(title, text, "the square", None, None), **kw).id

    def comment(
        self, name: str, proposal: bytes, text: str, stance: Stance = Stance.NEUTRAL, **kw: Any
    ) -> bytes:
        return self.post(name, Comment(proposal, None, stance, text), **kw).id

    def vote(self, name: str, subject: bytes, choice: Choice, **kw: Any) -> bytes:
        return self.post(name, Vote(subject, choice), **kw).id

    def votes(
        self,
        subject: bytes,
        *,
        yes: Iterable[str] = (),
        no: Iterable[str] = (),
        abstain: Iterable[str] = (),
        **kw: Any,
    ) -> list[bytes]:
        out = [self.vote(n, subject, Choice.FOR, **kw) for n in yes]
        out += [self.vote(n, subject, Choice.AGAINST, **kw) for n in no]
        out += [self.vote(n, subject, Choice.ABSTAIN, **kw) for n in abstain]
        return out

    def role(self, subject: bytes, role: str) -> str:
        """The name of whoever holds ``role`` (facilitator, minute_taker,
        mediator) for the subject (the fold computes it)."""
        who: bytes = getattr(self._live.subject(subject), role)
        return self.name_of(self.key_of_identity(who))

    def facilitator(self, subject: bytes) -> str:
        """The name of the subject's facilitator (the fold computes it)."""
        return self.name_of(self.key_of_identity(self._live.subject(subject).facilitator))

    def key_of_identity(self, identity: bytes) -> bytes:
        return self._live.roster().members.get(identity, identity)

    def close(
        self,
        subject: bytes,
        stage: Stage | None = None,
        *,
        by: str | None = None,
        wait: bool = True,
        **kw: Any,
    ) -> bytes:
        """The facilitator (or ``by``) closes the subject's open stage.

        A facilitator closing the open stage first waits out its minimum
        duration (the kit's clock jumps ahead), unless ``wait=False`` or an
        explicit ``time=`` is given."""
        a = self._live
        s = a.subject(subject)
        closer = by or self.name_of(a.roster().members.get(s.facilitator, s.facilitator))
        waits = wait and "time" not in kw and (stage is None or stage == s.stage)
        if waits and s.stage in DURATION and closer == self.facilitator(subject):
            ready = s.opened_time + s.rules.min_duration[DURATION[s.stage]]
            self.now = max(self.now, ready - 1)  # post() adds one second
        return self.post(closer, Close(subject, int(stage or s.stage)), **kw).id

    def grievance(
        self,
        name: str,
        proposal: bytes,
        category: str,
        *,
        deal_breaker: bool = False,
        text: str = "",
        **kw: Any,
    ) -> bytes:
        return self.post(name, Grievance(proposal, category, deal_breaker, text), **kw).id

    def elect(self, name: str, proposal: bytes, category: str, candidate: str, **kw: Any) -> bytes:
        return self.post(name, DelegateElect(proposal, category, self.key(candidate)), **kw).id

    def plea(self, name: str, proposal: bytes, category: str, text: str, **kw: Any) -> bytes:
        return self.post(name, Plea(proposal, category, text), **kw).id

    def agree(self, name: str, grievance: bytes, agree: bool = True, **kw: Any) -> bytes:
        return self.post(name, Agreement(grievance, agree), **kw).id

    def amend(
        self,
        name: str,
        proposal: bytes,
        category: str,
        ops: Sequence[tuple[Any, ...]],
        rationale: str = "",
        **kw: Any,
    ) -> bytes:
        return self.post(name, Amendment(proposal, category, rationale, tuple(ops)), **kw).id

    def amendment_vote(self, name: str, amendment: bytes, choice: Choice, **kw: Any) -> bytes:
        return self.post(name, AmendmentVote(amendment, choice), **kw).id

    def admit(self, name: str, newcomer: str, **kw: Any) -> bytes:
        return self.post(name, Admit(self.key(newcomer), newcomer, ""), **kw).id

    def leave(self, name: str, member: str | None = None, **kw: Any) -> bytes:
        return self.post(name, Leave(self.key(member or name), ""), **kw).id

    def rotate(self, name: str, new_name: str, **kw: Any) -> bytes:
        """``name`` moves its membership to the key of ``new_name``; later
        messages as ``new_name`` are signed with the new key."""
        proof = sign_raw(self.seed(new_name), ROTATE_DOMAIN + self.body + self.key(name))
        return self.post(name, RotateKey(self.key(new_name), proof), **kw).id

    def mandate(
        self,
        name: str,
        resolution: bytes,
        delegate: str,
        expires: int,
        scope: str = "carry it out",
        **kw: Any,
    ) -> bytes:
        return self.post(name, Mandate(resolution, self.key(delegate), scope, expires), **kw).id

    def recall(self, name: str, mandate: bytes, choice: Choice = Choice.FOR, **kw: Any) -> bytes:
        return self.post(name, RecallVote(mandate, choice), **kw).id

    def decide(
        self,
        higher: bytes,
        resolution: bytes,
        *,
        yes: Sequence[str],
        no: Sequence[str] = (),
        title: str = "A higher body's resolution",
        text: str = "As presented.",
    ) -> bytes:
        """Present a higher body's resolution (a PROPOSAL naming it) and run
        it to its verdict, ``yes`` FOR and ``no`` AGAINST at every vote and
        no grievances; the presenting proposal's id."""
        p = self.post(yes[0] if yes else no[0], Proposal(title, text, "", higher, resolution)).id
        return self.carry(p, yes=yes, no=no)

    def carry(self, subject: bytes, *, yes: Sequence[str], no: Sequence[str] = ()) -> bytes:
        """Run a proposal-like subject (a proposal, a dispute, a response, an
        escalation) to its verdict, ``yes`` FOR and ``no`` AGAINST at every
        vote and no grievances; the subject's id."""
        for _ in range(10):
            a = self._live
            if a.verdict(subject) is not None:
                break
            if a.stage(subject) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
                self.votes(subject, yes=yes, no=no)
            self.close(subject)
        return subject

    def elect_mandate(
        self, name: str, resolution: bytes, delegate: str, expires: int, *, yes: Sequence[str]
    ) -> bytes:
        """Nominate ``delegate`` on a carried subject and elect them."""
        m = self.mandate(name, resolution, delegate, expires)
        self.votes(m, yes=yes)
        self.close(m)
        return m

    def proof(self, higher: bytes, resolution: bytes) -> FullProof:
        """The full proof of this body's verdict on a higher resolution."""
        v = community_verdict(self._fresh(), higher, resolution)
        if v is None:
            raise LocalProtocolError("no verdict on that resolution yet", field="resolution")
        return make_full_proof(self.log, v)

    def hand_count(
        self,
        subject: bytes,
        counts: tuple[int, int, int],
        present: Iterable[str],
        witnesses: Iterable[str],
        *,
        replaces: bytes | None = None,
        by: str | None = None,
        stage: Stage | None = None,
        **kw: Any,
    ) -> bytes:
        """The facilitator (or ``by``) records a show of hands for the open
        stage, co-signed by ``witnesses``."""
        from dataclasses import replace as _replace

        from . import hand_counts

        s = self._live.subject(subject)
        recorder = by or self.name_of(self.key_of_identity(s.facilitator))
        unsigned = HandCount(
            subject,
            int(stage or s.stage),
            *counts,
            tuple(sorted(self.key(n) for n in present)),
            replaces,
            (),
        )
        signed = tuple(
            sorted(
                (self.key(w), hand_counts.witness(self.seed(w), self.body, unsigned))
                for w in witnesses
            )
        )
        return self.post(recorder, _replace(unsigned, witnesses=signed), **kw).id

    def contest(self, name: str, hand_count: bytes, reason: str = "", **kw: Any) -> bytes:
        return self.post(name, HandCountContest(hand_count, reason), **kw).id

    def to_first_check(self, proposer: str = "ana", **kw: Any) -> bytes:
        """Propose and close the discussion: the temperature check is open."""
        p = self.propose(proposer, **kw)
        self.close(p)
        return p


class CouncilScenario(Scenario):
    """A justice council (protocol.justice) under ``community``, a Scenario
    whose log holds the carried ``resolution`` and its mandates: ``founder``
    (an elected member) signs the genesis and the charter. ``sync()`` moves
    both kits' clocks to the later one; folds read the Community's live
    fold."""

    def __init__(
        self,
        community: Scenario,
        resolution: bytes,
        founder: str,
        *,
        rules: ProcessRules | None = None,
        name: str = "Justice council",
    ) -> None:
        self.community = community
        super().__init__(
            (founder,),
            rules=rules,
            body_kind=BodyKind.JUSTICE_COUNCIL,
            name=name,
            parent=community.body,
            now=community.now,
        )
        self.names.update(community.names)  # the same people, by the same names
        self.charter = self.post(founder, CouncilCharter(resolution), parents=(self.body,)).id

    def _fresh(self) -> Assembly:
        from .justice import Council

        return Council(self.body, self.community.live, self.rules).fold(self.log)

    def sync(self) -> None:
        self.now = self.community.now = max(self.now, self.community.now)

    def case(
        self,
        name: str,
        harmed: Iterable[str],
        responsible: Iterable[str],
        summary: str = "A fence was broken; see the council's file 1.",
        **kw: Any,
    ) -> bytes:
        p = Case(
            tuple(sorted(self.key(n) for n in harmed)),
            tuple(sorted(self.key(n) for n in responsible)),
            summary,
            self.community.body,
        )
        return self.post(name, p, **kw).id

    def plan(
        self,
        name: str,
        case: bytes,
        repairs: Iterable[str],
        text: str = "Reparation: mend the fence together. Rehabilitation: a month of mentoring.",
        title: str = "Mend the fence",
        **kw: Any,
    ) -> bytes:
        p = Plan(case, title, text, tuple(sorted(self.key(n) for n in repairs)))
        return self.post(name, p, **kw).id


# --- nested federations -----------------------------------------------------------


def present(sc: Scenario, author: str, higher: bytes, resolution: bytes) -> bytes:
    """``author`` presents the higher body's ``resolution`` to ``sc``'s body."""
    return sc.post(author, Proposal("Shared water plan", "cisterns", "", higher, resolution)).id


def community_proof(tag: str, parent: Scenario, subject: bytes, yes: int) -> FullProof:
    """A five-member Community of ``parent`` deciding ``subject`` (presented
    to it) with ``yes`` of its members for: its full proof."""
    names = tuple(f"{tag}{n}" for n in ("ana", "bea", "cruz", "dev", "eli"))
    sc = Scenario(names, name=f"Community {tag}", parent=parent.body)
    p = present(sc, names[0], parent.body, subject)
    for _ in range(8):
        a = sc.assembly()
        if a.verdict(p) is not None:
            break
        if a.stage(p) in (Stage.TEMPERATURE, Stage.MINOR_CHECK, Stage.FINAL_VOTE):
            sc.votes(p, yes=list(names[:yes]), no=list(names[yes:]))
        sc.close(p)
    v = community_verdict(sc.assembly(), parent.body, subject)
    if v is None:
        raise LocalProtocolError("the community reached no verdict")
    return make_full_proof(sc.log, v)


def nested_region(
    yes_by_muni: tuple[tuple[int, ...], ...],
) -> tuple[Scenario, bytes, dict[bytes, frozenset[bytes]], tuple[LevelProof, ...]]:
    """A Region whose Municipalities each present its resolution to their
    Communities (``yes_by_muni``: each Community's FOR votes out of five):
    the Region, its resolution, the federation's structure and the
    Municipalities' level proofs."""
    top = Scenario(("r1", "r2", "r3"), body_kind=BodyKind.REGION, name="Sierra")
    resolution = top.propose("r1", "Shared water plan", "Every community keeps a cistern.")
    structure: dict[bytes, frozenset[bytes]] = {}
    proofs = []
    for m, yeses in enumerate(yes_by_muni):
        muni = Scenario(
            (f"m{m}a", f"m{m}b", f"m{m}c"),
            body_kind=BodyKind.MUNICIPALITY,
            name=f"Valle {m}",
            parent=top.body,
        )
        presenting = present(muni, f"m{m}a", top.body, resolution)
        parts = tuple(
            community_proof(f"m{m}c{i}", muni, presenting, y) for i, y in enumerate(yeses)
        )
        structure[muni.body] = frozenset(p.community for p in parts)
        proofs.append(LevelProof(muni.body, muni.log.get(presenting).raw, parts))
    structure[top.body] = frozenset(p.body for p in proofs)
    return top, resolution, structure, tuple(proofs)
