"""The sans-IO cores stay sans-IO (DESIGN.md, "Layers").

`protocol/` and `crdt/` may not import event loops, sockets, databases,
clocks, randomness or the OS, nor the runtime packages `node` and `mesh`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "asyncio",
    "trio",
    "anyio",
    "aiohttp",
    "socket",
    "sqlite3",
    "time",
    "random",
    "os",
    "subprocess",
    "threading",
    "datetime",
    "secrets",
    "node",
    "mesh",
    "selectors",
}
FILES = sorted(p for pkg in ("protocol", "crdt") for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top not in FORBIDDEN, (
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}: "
                "protocol/ and crdt/ must stay sans-IO"
            )


# --- the direction of every pair of packages (issue 18.4) ---------------------------
#
# A package may import only the packages before it:
#
#     protocol  <  crdt  <  node  <  mesh  <  interop  <  benchmarks
#
# node drives the cores; mesh carries what node holds over radios and paper
# (its bridge is a client of the node's API), so node never imports mesh: the
# IO-free sneakernet codecs are protocol.sneakernet, printing and scanning
# paper is node.paper. The one pair still importing both ways is protocol and
# crdt: crdt's log, reconciliation and text build on protocol's encoding and
# envelopes, while protocol's process fold (assembly, verdicts, justice,
# rounds, constituents) reads crdt's log and text. Its test is marked
# expected to fail (strictly) until that is settled.

LAYERS = ("protocol", "crdt", "node", "mesh", "interop", "benchmarks")
KNOWN_CYCLE = {("protocol", "crdt")}


def _imports_between() -> dict[tuple[str, str], set[str]]:
    edges: dict[tuple[str, str], set[str]] = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in LAYERS and top != package:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        edges.setdefault((package, top), set()).add(where)
    return edges


EDGES = _imports_between()
PAIRS = [(a, b) for i, a in enumerate(LAYERS) for b in LAYERS[i + 1 :]]


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(p, marks=pytest.mark.xfail(reason="protocol's fold reads crdt's log"))
        if p in KNOWN_CYCLE
        else p
        for p in PAIRS
    ],
    ids=lambda p: f"{p[0]}-not-importing-{p[1]}",
)
def test_a_package_imports_no_package_above_it(pair: tuple[str, str]) -> None:
    lower, upper = pair
    assert sorted(EDGES.get((lower, upper), ())) == [], (
        f"{lower} is below {upper} ({' < '.join(LAYERS)}) but imports it"
    )
