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
