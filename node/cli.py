"""The ``caracol`` command line: one table of subcommands.

Each subcommand lives in its own module exposing ``add_arguments(parser)``
and ``run(args) -> int``; the table below maps names to modules, imported
only when used so that ``caracol --help`` stays fast on a Raspberry Pi.
A subcommand whose module does not exist yet says plainly which issue owns
it and exits with status 2: never a fake result.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# name -> (module, one-line help, owning issue if not yet built)
COMMANDS: dict[str, tuple[str, str, int]] = {
    "demo": ("node.commands.demo", "run the main job on embedded defaults", 2),
    "bench": ("benchmarks.runner", "run a benchmark topic and print a table (--json for JSON)", 2),
    "interop": ("interop.harness", "the conformance harness: JSON lines on stdin/stdout", 2),
    "key": ("node.commands.key", "create and inspect keys and encrypted keystores", 2),
    "verify": ("node.commands.verify", "re-derive every verdict in an exported log", 4),
    "init": ("node.commands.init", "create a node: key, config, a new or joined body", 5),
    "run": ("node.commands.run", "serve the node", 5),
    "member": ("node.commands.member", "member keys; every process action, signed", 5),
    "proposals": ("node.commands.proposals", "proposals, motions: stage, tally, your actions", 11),
    "show": ("node.commands.show", "a proposal: text, amendments, threads, minutes", 11),
    "people": ("node.commands.people", "the body's members and their names", 11),
    "peer": ("node.commands.peer", "add, list and remove peers", 5),
    "status": ("node.commands.status", "show the node's state", 5),
    "export": ("node.commands.export", "export a signed log bundle", 5),
    "import": ("node.commands.import_", "import a signed log bundle", 5),
    "delegate": ("node.commands.delegate", "mandates and verdict relaying for delegates", 5),
    "dispute": (
        "node.commands.dispute",
        "disputes between bodies: raise, respond, mediate, escalate, show, relay",
        13,
    ),
    "card": ("node.commands.card", "print members' key cards; sign one message from a card", 14),
    "ballots": ("node.commands.ballots", "paper ballots for a stage; check a ballot's code", 14),
    "council": ("node.commands.council", "a justice council: found it, cases, plans", 13),
    "mesh": ("mesh.commands", "bridge to radios; airtime budget, queue and links", 6),
}


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line naming the flag (``caracol member vote: …``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    parser = _Parser(prog="caracol", description="Caracol: federated peer-to-peer assemblies.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, object] = {}
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    for name, (module_name, help_text, issue) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name != wanted:
            continue  # only the chosen command's module is imported
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            p.set_defaults(_missing=issue)
            continue
        module.add_arguments(p)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    if argv is not None:
        sys.argv = ["caracol", *argv]
    parser, modules = build_parser()
    args = parser.parse_args(sys.argv[1:])
    if args.command is None:
        parser.print_help()
        return 2
    missing = getattr(args, "_missing", None)
    if missing is not None:
        print(
            f"caracol {args.command}: not built yet; issue {missing} owns it.",
            file=sys.stderr,
        )
        return 2
    module = modules[args.command]
    try:
        rc: int = module.run(args)  # type: ignore[attr-defined]
    except EOFError:
        # a passphrase or PIN prompt with no terminal to read it from
        print(
            f"caracol {args.command}: no terminal to ask for a passphrase or PIN; set "
            "CARACOL_PASSPHRASE (or CARACOL_PIN) or run it in a terminal",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"caracol {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback on request
        if os.environ.get("CARACOL_DEBUG"):
            raise
        print(
            f"caracol {args.command}: internal error ({type(exc).__name__}: {exc}); "
            "this is a bug — run again with CARACOL_DEBUG=1 for the traceback and report it",
            file=sys.stderr,
        )
        return 70
    return rc


if __name__ == "__main__":
    sys.exit(main())
