"""The registry: every untrusted entry point Caracol has, by name.

Each target module lists its own (core_targets: protocol and crdt;
mesh_targets: radio, KISS, bundles, bulletins, LXMF; node_targets: gossip,
the handshake, the API's parsers, the harness, ballot codes, ingest)."""

from __future__ import annotations

from .core_targets import TARGETS as CORE
from .mesh_targets import TARGETS as MESH
from .node_targets import TARGETS as NODE
from .target import Target

TARGETS: dict[str, Target] = {t.name: t for t in [*CORE, *MESH, *NODE]}
