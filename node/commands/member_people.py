"""``caracol member initiative|ratify|adopt``: the people's constitution
(spec/constitution.md, "The people's constitution").

* ``initiative`` — anyone (no membership needed) proposes an amendment in
  the Collective's log: articles added or replaced (``--article N TITLE
  TEXT``), repealed (``--repeal N``), federation-level parameters
  (``--param``).
* ``ratify`` — a member of the Collective records that the node's
  combination of an initiative reached the ratification threshold.
* ``adopt`` — a member of any other body applies the next ratified version
  there, from this point of its log.

The version in force and the standing come from the node's ``…/people``
view (it verifies ratifications from the logs it holds); the checks here
mirror ``protocol.federal`` so a message the process would ignore is not
signed.
"""

from __future__ import annotations

from typing import Any

from protocol import kinds
from protocol.errors import OutOfRange
from protocol.federal import FederalConstitution, amended
from protocol.kinds import BodyKind

from .member_actions import Ctx, parse_params
from .member_state import Refusal


def _people(ctx: Ctx, body: bytes | None = None) -> dict[str, Any]:
    if ctx.get is None:
        raise Refusal("this action needs the node's view of the people's constitution")
    return ctx.get(f"/v0/bodies/{(body or ctx.a.body_id).hex()}/constitution/people")


def initiative(ctx: Ctx) -> kinds.Payload:
    if ctx.a.body_kind != BodyKind.COLLECTIVE:
        raise Refusal("--body: an initiative is made in the Collective's log; name the Collective")
    args = ctx.args
    articles = [(int(n), title, text) for n, title, text in args.article or []]
    articles += [(int(n), "", "") for n in args.repeal or []]
    if len({n for n, _, _ in articles}) != len(articles):
        raise Refusal("--article/--repeal: each article number once")
    params = parse_params(args.param, "--param") if args.param else ()
    view = _people(ctx)
    in_force = FederalConstitution(
        view["version"],
        tuple(_param(p) for p in view["parameters"]),
        tuple((a["number"], a["title"], a["text"]) for a in view["articles"]),
    )
    payload = kinds.ConstitutionInitiative(
        view["version"] + 1, params, tuple(sorted(articles)), args.rationale
    )
    try:
        amended(in_force, payload)
    except OutOfRange as exc:
        raise Refusal(f"{exc.field or 'initiative'}: {exc}") from None
    return payload


def _param(p: dict[str, Any]) -> tuple[int, int, int]:
    num, _, den = str(p["value"]).partition("/")
    return (int(p["number"]), int(num), int(den or 1))


def admit_body(ctx: Ctx) -> kinds.Payload:
    """CONSTITUENT_ADMIT: a resolution of this (higher) body, presented to
    its constituents and combined from their verdicts (spec/federation.md,
    "Constituents")."""
    if ctx.a.body_kind in (BodyKind.COMMUNITY, BodyKind.WORKPLACE, BodyKind.JUSTICE_COUNCIL):
        raise Refusal("--body: only a higher body (Municipality, Region, Collective) admits bodies")
    try:
        body = bytes.fromhex(ctx.args.constituent)
    except ValueError:
        raise Refusal("--constituent: not hex") from None
    if len(body) != 32:
        raise Refusal("--constituent: a body id has 64 hex digits")
    if ctx.get is None:
        raise Refusal("this action needs the node's view of the constituents")
    view = ctx.get(f"/v0/bodies/{ctx.a.body_id.hex()}/constituents")
    if not view["founding"]:
        raise Refusal("this body has no FOUNDING yet: an admission must follow it")
    if body.hex() in [c["body"] for c in view["constituents"]] or body.hex() in view["left"]:
        raise Refusal("--constituent: that body is already a constituent, or left")
    return kinds.ConstituentAdmit(body, ctx.args.note)


def ratify(ctx: Ctx) -> kinds.Payload:
    if ctx.a.body_kind != BodyKind.COLLECTIVE:
        raise Refusal("--body: a ratification is made in the Collective's log")
    view = _people(ctx)
    found = [i for i in view.get("initiatives", []) if i["id"].startswith(ctx.args.initiative)]
    if len(found) != 1:
        raise Refusal(f"--initiative: {len(found)} initiatives match {ctx.args.initiative!r}")
    (i,) = found
    if i["ratification"] is not None:
        raise Refusal(f"--initiative: already recorded by ratification {i['ratification']}")
    if i["standing"] != "ratified":
        raise Refusal(
            f"--initiative: not ratified ({i['standing']}): {i['for']} of {i['counting']} "
            f"counting constituents passed its text so far"
        )
    return kinds.Ratification(
        bytes.fromhex(i["id"]), i["version"], bytes.fromhex(i["constitution"])
    )


def adopt(ctx: Ctx) -> kinds.Payload:
    view = _people(ctx)
    if view["collective"] is None:
        raise Refusal("this node does not hold the Collective above this body")
    if view["collective"] == ctx.a.body_id.hex():
        raise Refusal("the Collective applies a ratification from the RATIFICATION itself")
    top = _people(ctx, bytes.fromhex(view["collective"]))
    want = view["version"] + 1
    nxt = [i for i in top.get("initiatives", []) if i["verified"] and i["version"] == want]
    if not nxt:
        raise Refusal(
            f"no verified ratification of version {want} on this node "
            f"(version {view['version']} is in force here)"
        )
    i = nxt[0]
    return kinds.ConstitutionAdoption(
        bytes.fromhex(view["collective"]),
        bytes.fromhex(i["ratification"]),
        want,
        bytes.fromhex(i["constitution"]),
    )
