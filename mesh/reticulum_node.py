"""One Reticulum process synchronising a log with a peer (used by the tests).

    python -m mesh.reticulum_node --dir D --listen PORT --log FILE [--identity F]  (server)
    python -m mesh.reticulum_node --dir D --connect PORT --peer HASH --log FILE
    python -m mesh.reticulum_node --dir D --listen PORT --echo       (link test)

Each side holds a log file (``[0, body, [message, ...]]``), reconciles ids
over the Reticulum link (crdt.reconcile in SYNC frames), sends the messages
the other lacks (MSG frames) and prints ``state <hex>`` when both directions
are done. The server prints ``destination <hex>`` first.

``--echo`` serves one link and sends every frame back until the peer closes
it, then prints ``echo closed frames N dropped D state S`` (what the
transport conformance test runs against).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import anyio

from crdt.log import Log
from crdt.reconcile import Done, HaveIds, PeerError, Session, SortedIds
from protocol import envelope
from protocol.verdict import FullProof

from . import frames
from .errors import LocalMeshError
from .reticulum import ReticulumTransport, load_identity, start, write_config


async def sync(transport: ReticulumTransport, log: Log, *, initiate: bool) -> None:
    session = Session(SortedIds(log.ids()), max_frame=300)
    ctx = log.body[: frames.CTX]
    # point to point: one session, fixed station ids (1 opens, 2 answers)
    me, peer = (b"\0\0\0\1", b"\0\0\0\2") if initiate else (b"\0\0\0\2", b"\0\0\0\1")
    done = anyio.Event()
    peer_closed = anyio.Event()
    idle_since = [anyio.current_time()]
    turn = [0 if initiate else 1]  # SYNC turn numbers: the opener's even, the answerer's odd

    async def flush() -> None:
        out = session.frames_to_send()
        for i, f in enumerate(out):
            sync = frames.Sync(ctx, b"\0\0\0\1", me, peer, turn[0], i, len(out), f)
            await transport.send(frames.encode(sync))
        if out:
            turn[0] += 2
        for ev in session.events():
            if isinstance(ev, HaveIds):
                for mid in sorted(ev.ids, key=log.index):
                    await transport.send(frames.encode_msg(ctx, log.get(mid).raw))
            elif isinstance(ev, (Done, PeerError)):
                done.set()

    async def reader() -> None:
        while True:
            try:
                data = await transport.receive()
            except anyio.EndOfStream:  # the peer closed the link (or RNS timed it out)
                peer_closed.set()
                return
            idle_since[0] = anyio.current_time()
            frame = frames.decode_untrusted(data)
            if isinstance(frame, frames.Sync):
                session.receive_frame(frame.frame, 0.0)
                await flush()
            elif isinstance(frame, frames.Msg):
                log.add(envelope.open_untrusted(frame.body, log.body))

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        if initiate:
            session.initiate()
            await flush()
        with anyio.fail_after(60):
            async with anyio.create_task_group() as first:

                async def finished(event: anyio.Event) -> None:
                    await event.wait()
                    first.cancel_scope.cancel()

                first.start_soon(finished, done)
                first.start_soon(finished, peer_closed)
            if not done.is_set():
                raise LocalMeshError("the peer closed the Reticulum link before the sync was done")
            # let the last messages arrive: stop after 2 s without traffic, or
            # as soon as the peer closes the link (all it sent has arrived)
            while not peer_closed.is_set() and anyio.current_time() - idle_since[0] < 2.0:
                await anyio.sleep(0.2)
        tg.cancel_scope.cancel()


def load_log(path: Path) -> Log:
    """A log file (``[0, body, [message, ...]]``, genesis first), every message verified."""
    proof = FullProof.decode_untrusted(path.read_bytes())
    log = Log(proof.community)
    for i, raw in enumerate(proof.messages):
        log.add(envelope.open_untrusted(raw, None if i == 0 else proof.community))
    return log


async def echo(transport: ReticulumTransport, *, timeout: float = 60.0) -> int:
    """Send every frame back until the peer closes the link; the count echoed."""
    n = 0
    with anyio.fail_after(timeout):
        while True:
            try:
                frame = await transport.receive()
            except anyio.EndOfStream:
                return n
            await transport.send(frame)
            n += 1


async def main(args: argparse.Namespace) -> None:
    write_config(Path(args.dir), listen_port=args.listen, connect_port=args.connect)
    start(Path(args.dir))
    if args.echo:
        dest, accept = await ReticulumTransport.serve()
        print(f"destination {dest.hash.hex()}", flush=True)
        transport = await accept()
        n = await echo(transport)
        stats = transport.statistics()
        print(
            f"echo closed frames {n} dropped {stats.dropped} state {transport.link_state().value}",
            flush=True,
        )
        return
    log = load_log(Path(args.log))
    if args.listen is not None:
        identity = load_identity(Path(args.identity)) if args.identity else None
        dest, accept = await ReticulumTransport.serve(identity)
        print(f"destination {dest.hash.hex()}", flush=True)
        transport = await accept()
        await sync(transport, log, initiate=False)
    else:
        transport = await ReticulumTransport.connect(bytes.fromhex(args.peer))
        await sync(transport, log, initiate=True)
    print(f"state {log.state_hash().hex()} messages {len(log)}", flush=True)
    await anyio.sleep(1.0)  # let the last packets leave before the process ends


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--log")
    p.add_argument("--echo", action="store_true")
    p.add_argument("--identity", help="the node's identity file (a fresh one if not given)")
    p.add_argument("--listen", type=int)
    p.add_argument("--connect", type=int)
    p.add_argument("--peer")
    anyio.run(main, p.parse_args())
    sys.exit(0)
