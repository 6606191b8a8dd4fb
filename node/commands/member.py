"""``caracol member``: a member's own key, and every process action signed with it.

The member's secret stays in their keystore on this machine; the node only
receives the finished, signed envelope and cannot forge anything. Each
action folds the body's log locally and refuses, with one line, what the
process would ignore (``member_actions``); after submitting it says what the
node did (stored, or rejected and why) and what the process did (taken, or
ignored and why), and exits 1 unless the message was stored and taken.

``--node`` defaults to ``$CARACOL_NODE``; ``--body`` to ``$CARACOL_BODY``, or
the node's only body.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crdt.errors import CrdtError
from node import keyfile
from node.client import NodeClient
from node.commands import member_actions as act
from node.commands import member_people as people
from node.commands.key import ask_secret, passphrase
from node.commands.member_state import body_id, fold, my_identity, node_url, resolve_id
from node.errors import NodeError
from protocol import kinds
from protocol.envelope import Envelope
from protocol.errors import KeystoreError, ProtocolError
from protocol.keys import key_to_text, public_key

Builder = Callable[[act.Ctx], kinds.Payload]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keystore", type=Path, required=True, help="your member keystore")
    p.add_argument("--node", help="the node's URL (default $CARACOL_NODE)")
    p.add_argument("--body", help="body id, hex (default $CARACOL_BODY or the node's only body)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the message id")


def _choice(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument(
        "--choice", choices=sorted(act.CHOICES), required=default is None, default=default
    )


def _no_check(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-check",
        action="store_true",
        help="sign without checking the stage and your eligibility first (the process judges)",
    )


def _proposal(p: argparse.ArgumentParser) -> None:
    p.add_argument("--proposal", required=True, help="proposal id (hex, or 8+ digit prefix)")


def _propose_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--title", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--text-file", type=Path, help="the proposal's text from a file")
    p.add_argument("--scope", default="")


def _present_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from-node", required=True, help="URL of a node holding the higher body")
    p.add_argument("--higher", required=True, help="the higher body's id (this body's parent)")
    p.add_argument("--resolution", required=True, help="the carried resolution's id")
    p.add_argument("--scope", default="")


def _comment_args(p: argparse.ArgumentParser) -> None:
    _proposal(p)
    p.add_argument("--text", required=True)
    p.add_argument("--reply-to", help="the comment this one answers (id or prefix)")
    p.add_argument("--stance", choices=["neutral", "support", "oppose"], default="neutral")


def _vote_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument(
        "--subject",
        "--proposal",
        "--motion",
        "--mandate",
        dest="subject",
        help="the proposal (its open stage), admission, removal or mandate voted on",
    )
    g.add_argument("--amendment", help="a friendly amendment voted on in its round")
    _choice(p)
    _no_check(p)


def _grievance_args(p: argparse.ArgumentParser) -> None:
    _proposal(p)
    p.add_argument("--category", required=True, help="new or existing category")
    p.add_argument("--deal-breaker", action="store_true")
    p.add_argument("--text", default="")


def _agree_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grievance", required=True, help="grievance id (or prefix)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--agree", dest="agree", action="store_true", default=True)
    g.add_argument("--disagree", dest="agree", action="store_false")


def _elect_args(p: argparse.ArgumentParser) -> None:
    _proposal(p)
    p.add_argument("--category", required=True)
    p.add_argument("--candidate", required=True, help="a holder's name or ck1 key")


def _plea_args(p: argparse.ArgumentParser) -> None:
    _proposal(p)
    p.add_argument("--category", required=True)
    p.add_argument("--text", required=True)


def _amend_args(p: argparse.ArgumentParser) -> None:
    _proposal(p)
    p.add_argument("--category", required=True, help="the grievance category it answers")
    p.add_argument(
        "--text-file", type=Path, required=True, help="the proposal's text, as you edited it"
    )
    p.add_argument("--rationale", default="")


def _close_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--proposal",
        "--subject",
        "--motion",
        "--mandate",
        dest="subject",
        required=True,
        help="the proposal or motion whose open stage closes",
    )
    p.add_argument("--stage", choices=sorted(act.STAGES), help="the open stage, to be explicit")
    _no_check(p)


def _admit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", required=True, help="the newcomer's key (ck1…)")
    p.add_argument("--name", default="", help="the newcomer's name (an introduction)")
    p.add_argument("--note", default="")


def _leave_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", default="")


def _remove_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--member", required=True, help="name or ck1 key of the member")
    p.add_argument("--reason", default="")


def _mandate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resolution", required=True, help="the carried proposal")
    p.add_argument("--delegate", required=True, help="a member's name or ck1 key")
    p.add_argument("--scope", required=True, help="what the delegate may do")
    p.add_argument("--expires", required=True, help="a date (2027-06-30) or +DAYSd")


def _recall_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mandate", required=True)
    _choice(p, "for")


def _rotate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--new-keystore", type=Path, required=True, help="keystore of the new key")


def _constitution_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NAME=VALUE",
        help="a parameter of protocol/rules.py PARAMETERS, e.g. quorum=1/2 (repeatable)",
    )
    p.add_argument("--rationale", default="")


def _initiative_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--article",
        nargs=3,
        action="append",
        metavar=("NUMBER", "TITLE", "TEXT"),
        help="add or replace an article (repeatable)",
    )
    p.add_argument("--repeal", action="append", type=int, metavar="NUMBER")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="a federation-level parameter, e.g. min_constituent_size=40",
    )
    p.add_argument("--rationale", default="")


def _admit_body_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--constituent", required=True, help="the body to admit (id, hex)")
    p.add_argument("--note", default="")


def _ratify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--initiative", required=True, help="initiative id (hex or a prefix)")


def _name_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("display_name", metavar="NAME", help="your display name")


def _hand_count_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subject",
        "--proposal",
        "--motion",
        dest="subject",
        required=True,
        help="the proposal or motion whose open stage was counted by hand",
    )
    p.add_argument("--for", dest="votes_for", type=int, required=True)
    p.add_argument("--against", dest="votes_against", type=int, required=True)
    p.add_argument("--abstain", type=int, default=0)
    p.add_argument("--present", action="append", default=[], required=True,
                   help="a member present (name or ck1 key); repeat for each")  # fmt: skip
    p.add_argument("--witness-card", action="append", type=Path, default=[],
                   help="a witness's key card (photo or PDF); its PIN from $CARACOL_PIN "
                   "or asked")  # fmt: skip
    p.add_argument("--witness-keystore", action="append", type=Path, default=[],
                   help="a witness's keystore; its passphrase from $CARACOL_WITNESS_PASSPHRASE "
                   "or asked")  # fmt: skip
    p.add_argument("--replaces", help="the contested hand count this recounts")


def _contest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hand-count", required=True, help="the hand count's id (or prefix)")
    p.add_argument("--reason", default="")


_TABLE: list[tuple[str, str, Builder, Callable[[argparse.ArgumentParser], None]]] = [
    ("propose", "post a proposal", act.propose, _propose_args),
    ("present", "present a higher body's resolution to this body", act.present, _present_args),
    ("comment", "comment on a proposal (or reply to a comment)", act.comment, _comment_args),
    (
        "vote",
        "vote on a proposal's open stage, a motion, a mandate or an amendment",
        act.vote,
        _vote_args,
    ),
    ("grievance", "file a concern under a category", act.grievance, _grievance_args),
    ("agree", "record agreement (or not) with a grievance", act.agree, _agree_args),
    ("elect", "elect a category's delegate", act.elect, _elect_args),
    ("plea", "a category delegate's plea", act.plea, _plea_args),
    ("amend", "propose a friendly amendment from an edited text file", act.amendment, _amend_args),
    ("close", "close (or co-sign the close of) the open stage", act.close, _close_args),
    ("admit", "move to admit a new member", act.admit, _admit_args),
    ("leave", "leave the body", act.leave, _leave_args),
    ("remove", "move to remove a member", act.remove, _remove_args),
    ("mandate", "nominate an implementation delegate", act.mandate, _mandate_args),
    ("recall", "vote to recall a delegate's mandate", act.recall, _recall_args),
    ("rotate", "move your membership to a new key", act.rotate, _rotate_args),
    ("constitution", "propose a constitution amendment", act.constitution, _constitution_args),
    (
        "admit-body",
        "move that a body be admitted as a constituent of this one (its constituents decide)",
        people.admit_body,
        _admit_body_args,
    ),
    (
        "initiative",
        "propose an amendment of the people's constitution (anyone; the Collective's log)",
        people.initiative,
        _initiative_args,
    ),
    (
        "ratify",
        "record that an initiative was ratified (a member of the Collective)",
        people.ratify,
        _ratify_args,
    ),
    (
        "adopt",
        "apply the next ratified version of the people's constitution in this body",
        people.adopt,
        lambda p: None,
    ),
    ("name", "set your display name", act.name, _name_args),
    (
        "hand-count",
        "record a show of hands (you facilitate), witnesses signing with cards or keys",
        act.hand_count,
        _hand_count_args,
    ),
    (
        "contest-count",
        "contest a hand count (it goes to a recount)",
        act.contest_count,
        _contest_args,
    ),
]
"""Each action: its name, help, payload builder and its own arguments."""


ACTIONS = {n: (b, f) for n, _, b, f in _TABLE}
ANYONE = frozenset({"initiative"})
"""Actions that need no membership of the body."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="member_command", required=True, metavar="ACTION")
    new = sub.add_parser("new", help="create a member key in an encrypted keystore")
    new.add_argument("--keystore", type=Path, required=True)
    for name, help_text, _, flags in _TABLE:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p)
        flags(p)


def _remote_proposal(url: str, body: str, resolution: str) -> dict[str, Any]:
    """A higher body's resolution as ``member present`` presents it: one of
    its proposals (carried, or itself presenting a resolution from further
    up), an initiative of the people's constitution (the Collective's), or
    a constituent admission; ``presentable`` and ``why`` say whether."""
    client = NodeClient(url)
    listed = client.get(f"/v0/bodies/{body}/proposals")["proposals"]
    people = client.get(f"/v0/bodies/{body}/constitution/people").get("initiatives", [])
    admissions = client.get(f"/v0/bodies/{body}/constituents")["admissions"]
    pool = [bytes.fromhex(p["id"]) for p in listed]
    pool += [bytes.fromhex(i["id"]) for i in people]
    pool += [bytes.fromhex(a["id"]) for a in admissions]
    rid = resolve_id(resolution, pool, "--resolution", "resolution").hex()
    for i in people:
        if i["id"] == rid:
            return {
                "id": rid,
                "title": f"The people's constitution, version {i['version']}",
                "text": i["text"],
                "presentable": i["standing"] == "pending",
                "why": f"that initiative is {i['standing']}",
            }
    for a in admissions:
        if a["id"] == rid:
            return {
                "id": rid,
                "title": f"Admit {a['name'] or a['body'][:16]} as a constituent"[:120],
                "text": f"Admit {a['name'] or a['body']} ({a['body']}) as a constituent. "
                + a["note"],
                "presentable": a["standing"] == "pending",
                "why": f"that admission is {a['standing']}",
            }
    view = dict(client.get(f"/v0/bodies/{body}/proposals/{rid}"))
    view["presentable"] = view.get("stage") == "carried" or view.get("origin") is not None
    view["why"] = f"that proposal is {view.get('stage')}, not carried"
    return view


def run(args: argparse.Namespace) -> int:
    try:
        if args.member_command == "new":
            seed = os.urandom(32)
            keyfile.write(args.keystore, seed, passphrase(confirm=True))
            print(key_to_text(public_key(seed)))
            return 0
        return _act(args)
    except (NodeError, ProtocolError, CrdtError, ValueError) as exc:
        print(f"caracol member {args.member_command}: {exc}", file=sys.stderr)
        return 1


def _act(args: argparse.Namespace, builder: Builder | None = None) -> int:
    """Fold, check, sign with the keystore, submit and report one action
    (``builder``, or the ``caracol member`` action named by the args)."""
    command: str = getattr(args, "member_command", "")
    builder = builder or ACTIONS[command][0]
    client = NodeClient(node_url(args.node))
    body = body_id(client, args.body)
    secret = passphrase()
    seed = keyfile.read(args.keystore, secret)
    if command == "rotate":
        args.new_seed = _new_seed(args.new_keystore, secret)
    if command == "hand-count":
        args.witness_seeds = _witness_seeds(args)
    key = public_key(seed)
    a = fold(client, body)
    now = int(time.time())
    anyone = command in ANYONE
    identity = (a.roster().identity_of(key) or key) if anyone else my_identity(a, key)
    ctx = act.Ctx(a, key, identity, args, now, seed, _remote_proposal, client.get)
    payload = act.unchecked(ctx) if getattr(args, "no_check", False) else builder(ctx)
    env, result = client.sign_and_submit(seed, body, payload, time=now)
    process = result.get("process")
    if process is None and result["status"] in ("accepted", "duplicate"):
        process = _process_of(fold(client, body), env)
    return _report(args, env, result, process)


def _witness_seeds(args: argparse.Namespace) -> list[bytes]:
    """Each witness's seed, from a key card and its PIN or a keystore and its
    passphrase, held only while this command signs."""
    from node.commands.card import _pin, scan_card
    from protocol import keycard

    seeds = []
    for path in args.witness_card:
        _, seed = keycard.unseal(scan_card(path), os.environ.get("CARACOL_PIN") or _pin(False))
        seeds.append(seed)
    for path in args.witness_keystore:
        given = os.environ.get("CARACOL_WITNESS_PASSPHRASE")
        secret = given if given is not None else ask_secret(f"passphrase of {path}: ")
        seeds.append(keyfile.read(path, secret))
    return seeds


def _new_seed(path: Path, secret: str) -> bytes:
    """The new keystore's seed: its passphrase is ``$CARACOL_NEW_PASSPHRASE``,
    else the old one's if it opens it, else asked for."""
    given = os.environ.get("CARACOL_NEW_PASSPHRASE")
    if given is not None:
        return keyfile.read(path, given)
    try:
        return keyfile.read(path, secret)
    except KeystoreError:
        if not sys.stdin.isatty():
            raise
    return keyfile.read(path, ask_secret("passphrase of the new keystore: "))


def _process_of(a: Any, env: Envelope) -> dict[str, Any]:
    ignored = a.ignored_by_id.get(env.id)
    if ignored is None:
        return {"taken": True}
    subject = ignored.subject.hex() if ignored.subject else None
    return {"taken": False, "reason": ignored.reason, "subject": subject}


def _report(
    args: argparse.Namespace, env: Envelope, result: dict[str, Any], process: dict[str, Any] | None
) -> int:
    ok = result["status"] in ("accepted", "duplicate") and bool(process and process["taken"])
    kind = kinds.Kind(env.kind).name.lower().replace("_", " ")
    if args.json:
        print(json.dumps({"id": env.id.hex(), "kind": kind, **result, "process": process}))
    elif args.quiet and ok:
        print(env.id.hex())
    else:
        node = result["status"]
        if node == "rejected":
            node += f" ({result.get('code')}: {result.get('reason')})"
        elif node == "pending":
            node += " (the node lacks some of its parents)"
        line = f"{kind} {env.id.hex()}: {'stored' if node in ('accepted', 'duplicate') else node}"
        if process is not None:
            line += ", taken" if process["taken"] else f", IGNORED: {process['reason']}"
        print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
