"""``caracol verify LOGFILE``: re-derive every verdict in an exported log and
report any VERDICT message that does not follow from it.

It reads what ``caracol import`` reads (``read_log_file``, used by both):
a sneakernet bundle (spec/sneakernet.md: refused whole when its integrity
digest fails) or a plain log file, the canonical array ``[0, body id,
[message, ...]]`` (the same form as a verdict's full proof,
spec/federation.md). Every message is verified, the log rebuilt, the
assembly folded, and each VERDICT message compared with the verdict the fold
derives for its proposal. An incremental bundle (written ``--since`` the
reader's heads) lacks the body's genesis and earlier messages, so no verdict
can be re-derived from it alone: verify says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crdt.errors import CrdtError
from crdt.log import Log
from protocol import envelope
from protocol.assembly import Assembly
from protocol.envelope import message_id
from protocol.errors import ProtocolError
from protocol.kinds import Kind, Verdict
from protocol.sneakernet import Bundle, is_bundle
from protocol.verdict import FullProof


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logfile", type=Path)


def read_log_file(data: bytes) -> tuple[FullProof, Bundle | None]:
    """A bundle's or a plain log file's messages (the bundle, when it is
    one); a damaged bundle raises ``BadBundle`` before any message is read."""
    if is_bundle(data):
        b = Bundle.decode_untrusted(data)
        return FullProof(b.body, b.messages), b
    return FullProof.decode_untrusted(data), None


def check(data: bytes) -> tuple[list[str], list[str]]:
    """(report lines, problems) for a log file's or a bundle's bytes."""
    proof, bundle = read_log_file(data)
    lines: list[str] = []
    problems: list[str] = []
    if bundle is not None:
        heads = ", ".join(h.hex()[:12] for h in bundle.heads)
        lines.append(f"bundle of {len(bundle.messages)} messages; its writer's heads: {heads}")
    if proof.messages and message_id(proof.messages[0]) != proof.community:
        what = "bundle" if bundle is not None else "log"
        problems.append(
            f"the {what} does not start with the body's genesis (an incremental copy?), so no "
            "verdict can be re-derived from it: verify a full one, `caracol export` without "
            "--since or --since-bundle"
        )
        return lines, problems
    log = Log(proof.community)
    if not proof.messages:
        problems.append("the log holds no messages, not even its genesis")
    for i, raw in enumerate(proof.messages):
        try:
            env = envelope.open_untrusted(raw, None if i == 0 else proof.community)
            log.add(env)
        except (ProtocolError, CrdtError) as exc:
            problems.append(f"message {i}: {exc.code}: {exc}")
            continue
    if proof.community not in log:
        problems.append("the log's genesis is missing or does not found the body the file names")
    if log.pending_ids():
        problems.append(
            f"{len(log.pending_ids())} messages lack their parents (the log is incomplete)"
        )
    assembly = Assembly(proof.community).fold(log)
    derived = assembly.verdicts()
    lines.append(
        f"body {proof.community.hex()}: {len(log)} messages, {len(derived)} verdicts derived"
    )
    for sid, v in derived.items():
        c = v.count
        lines.append(
            f"  proposal {sid.hex()[:16]}…: {v.outcome.name.lower()} "
            f"({c.votes_for} for, {c.votes_against} against, "
            f"{c.abstentions} abstaining, {v.electorate} members)"
        )
    for env in log.envelopes():
        if env.kind != Kind.VERDICT:
            continue
        claim = env.payload
        assert isinstance(claim, Verdict)
        found = derived.get(claim.proposal)
        where = f"VERDICT {env.id.hex()[:16]}… on {claim.proposal.hex()[:16]}…"
        if found is None:
            problems.append(f"{where}: the log holds no finished decision on that proposal")
            continue
        want = (
            found.close,
            found.outcome,
            found.count.votes_for,
            found.count.votes_against,
            found.count.abstentions,
            found.electorate,
        )
        got = (
            claim.close,
            claim.outcome,
            claim.votes_for,
            claim.votes_against,
            claim.abstentions,
            claim.members,
        )
        if want != got:
            problems.append(f"{where}: claims {got[1:]} but the log gives {want[1:]}")
        else:
            lines.append(f"  {where}: follows from the log")
    return lines, problems


def run(args: argparse.Namespace) -> int:
    try:
        lines, problems = check(args.logfile.read_bytes())
    except (OSError, ProtocolError) as exc:
        print(f"caracol verify: {args.logfile}: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    for p in problems:
        print(f"PROBLEM {p}")
    print("ok" if not problems else f"{len(problems)} problems")
    return 0 if not problems else 1
