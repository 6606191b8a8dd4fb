"""The radio link's layers below ``mesh.radio_link`` are sans-IO: they import
no event loop or socket library and never read the link's clock (every
handler is given ``now``); the frame dispatch table covers every frame type."""

from __future__ import annotations

import ast
from pathlib import Path

from mesh import frames
from mesh.radio_link import DISPATCH

MESH = Path(__file__).resolve().parents[2] / "mesh"
LAYERS = ["radio_state", "radio_expand", "radio_sessions", "radio_wants", "radio_stats"]
IO = {"anyio", "trio", "asyncio", "socket", "sqlite3", "aiohttp"}


def test_the_layers_below_the_driver_import_no_io_and_never_read_the_clock() -> None:
    for name in LAYERS:
        tree = ast.parse((MESH / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & IO, name
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in IO, name
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in {"clock", "monotonic", "time"}, (name, node.lineno)


def test_every_frame_type_has_a_row_in_the_dispatch_table() -> None:
    assert set(DISPATCH) == set(frames.FrameType)
