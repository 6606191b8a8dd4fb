"""Reticulum for a bridge (``--reticulum CONFIGDIR``): the identity kept in
``--identity FILE`` (made on first use) so the ``caracol.sync`` hash survives
restarts, the process's Reticulum instance, LXMF store and forward with
``--propagation-node``, and with ``--listen`` the links peers open, carried
one at a time (a newer link from the peer replaces the one being carried).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.lowlevel

from .bridge_config import BridgeError, load_bridge_identity
from .bridge_lxmf import StoreAndForward
from .errors import LocalMeshError
from .lxmf_relay import LxmfRelay, PeerState, delivery_hash, public_identity
from .reticulum import ReticulumTransport, sync_hash
from .reticulum import start as start_instance
from .transport import Transport

if TYPE_CHECKING:
    from .bridge import Bridge


def start(bridge: Bridge) -> None:
    """The identity (made on first use), the process's Reticulum instance
    and, with ``--propagation-node``, its LXMF router; prints the hashes a
    peer needs. On the main thread (RNS and LXMF install signal handlers)."""
    cfg = bridge.config.radio
    path = Path(cfg.identity or Path(cfg.config_dir) / "identity")
    bridge.identity = identity = load_bridge_identity(path)
    try:
        start_instance(Path(cfg.config_dir))
    except Exception as exc:  # RNS raises whatever its config parser does
        raise BridgeError(f"cannot start Reticulum from {cfg.config_dir}: {exc}") from None
    bridge.reticulum = {
        "identity": str(path),
        "destination": sync_hash(identity).hex(),
        "lxmf_delivery": delivery_hash(identity).hex(),
        "public_key": identity.get_public_key().hex(),
        "peer": cfg.peer.hex() if cfg.peer else None,
    }
    r = bridge.reticulum
    print(
        f"reticulum identity {path}: caracol.sync {r['destination']}, "
        f"lxmf.delivery {r['lxmf_delivery']}, public key {r['public_key']}",
        flush=True,
    )
    if cfg.propagation_node is None:
        return
    try:
        relay = LxmfRelay(Path(cfg.config_dir) / "caracol-lxmf", identity)
    except Exception as exc:  # LXMF raises whatever its storage does
        raise BridgeError(f"cannot start LXMF in {cfg.config_dir}: {exc}") from None
    peer_state = None
    if cfg.peer is not None:
        peer_state = PeerState(path.with_name(path.name + ".peers.json"))
        if peer_state.problem:
            bridge.warnings.append(peer_state.problem)
    bridge.store_and_forward = StoreAndForward(
        bridge,
        relay,
        r["lxmf_delivery"],
        peer_state=peer_state,
        peer_identity=public_identity(cfg.peer_key) if cfg.peer_key is not None else None,
    )


async def listen_links(bridge: Bridge) -> None:
    """Offer ``caracol.sync`` and carry the links peers open, one at a
    time: when a link ends the listener waits for the next, and a newer
    link (the peer restarted; Reticulum would notice the old one is dead
    only minutes later) replaces the one being carried."""
    dest, accept = await ReticulumTransport.serve(bridge.identity)
    print(f"reticulum destination {dest.hash.hex()}: waiting for a peer's link", flush=True)
    newer: Transport | None = None

    async def next_link() -> Transport:
        """Bounded waits, shielded so that a link accepted just as the
        wait is cancelled is kept for the next round, never lost."""
        nonlocal newer
        while newer is None:
            with anyio.CancelScope(shield=True), contextlib.suppress(LocalMeshError):
                newer = await accept(5.0)
            await anyio.lowlevel.checkpoint()
        got, newer = newer, None
        return got

    while True:  # cancelled with the bridge
        transport = await next_link()
        print("reticulum: a peer opened a link", flush=True)
        why = "a newer link from a peer replaced it"
        async with anyio.create_task_group() as tg:

            async def watch_newer(scope: anyio.CancelScope = tg.cancel_scope) -> None:
                nonlocal newer
                newer = await next_link()
                scope.cancel()

            tg.start_soon(watch_newer)
            why = await bridge.carry_until_down(transport)
            tg.cancel_scope.cancel()
        bridge.drop("radio", f"the peer's link ended: {why}")
        print(f"reticulum: the peer's link ended ({why}); waiting for the next", flush=True)
