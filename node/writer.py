"""One writer per store: how commands beside a node add messages to it.

A node's database has one writer (``node.store``: an exclusive lock on the
file). Offline commands that bring messages in (``caracol import``,
``caracol mesh scan``) therefore never write the file under a running node:

* when a node runs on the data folder (the lock is held), they submit
  through its member API, at the address the node wrote to ``node.url`` in
  the data folder when it started, so what they bring is live at once (its
  subscribers and peers hear it) and the node stays the only writer;
* when none runs, they take the lock themselves, say so, and ingest
  through the same path (``Ingest.submit``) a node would.

Either way each message gets its outcome (accepted, duplicate, pending,
rejected with a code and reason).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from protocol import envelope
from protocol.errors import ProtocolError
from protocol.kinds import Kind

from .client import NodeClient
from .config import Config
from .errors import NodeError, StoreLocked
from .ingest import Ingest, Status
from .store import Store

URL_FILE = "node.url"
"""In the data folder: the running node's member API address, for commands
on the same machine (written at start, removed at stop)."""

BATCH = 500
BATCH_BYTES = 1536 * 1024  # hex doubles it: a request stays under the API's 4 MiB


class NodeStarting(NodeError):
    code = "node_starting"


@dataclass
class Delivery:
    """What became of messages a command brought to a node."""

    via: str
    """``api URL`` or ``store PATH``."""
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    """``code: reason`` of each rejected message."""


def running_node_url(config: Config) -> str:
    """The running node's address, from ``node.url`` in its data folder."""
    path = Path(config.data_dir) / URL_FILE
    try:
        return path.read_text().strip()
    except OSError:
        raise NodeStarting(
            f"a node holds {config.database} but has not written {path} yet "
            "(it is starting): try again in a moment"
        ) from None


def deliver(
    config: Config,
    body: bytes,
    raws: Sequence[bytes],
    *,
    origin: str,
    no_genesis: str,
    say: Callable[[str], None],
) -> Delivery:
    """Add ``raws`` (messages of ``body``, its genesis first when the node
    may not hold it) to the node of ``config``: through its API when it
    runs, else into its store under the lock. ``no_genesis`` is the error
    when the node lacks the body and ``raws`` does not start with its
    genesis. ``say`` reports progress and which way was taken."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = Store(config.database)
    except StoreLocked:
        url = running_node_url(config)
        say(f"a node is running on {config.data_dir}: submitting through its API at {url}")
        return _through_api(NodeClient(url), body, list(raws), no_genesis, say)
    with store:
        say(f"no node is running on {config.data_dir}: writing its store directly (locked)")
        return _into_store(store, body, list(raws), origin, no_genesis, say)


def _is_genesis_of(raw: bytes, body: bytes) -> bool:
    try:
        env = envelope.decode_untrusted(raw, None)
    except ProtocolError:
        return False  # the ingest path names what is wrong with it
    return env.kind == Kind.GENESIS and env.id == body


def _into_store(
    store: Store,
    body: bytes,
    raws: list[bytes],
    origin: str,
    no_genesis: str,
    say: Callable[[str], None],
) -> Delivery:
    out = Delivery(f"store {store.path}")
    ingest = Ingest(store)
    ingest.load()
    if body not in ingest.bodies:
        if not raws or not _is_genesis_of(raws[0], body):
            raise NodeError(no_genesis)
        ingest.found(raws[0], origin=origin)
        raws = raws[1:]
        out.counts["accepted"] += 1
    for i in range(0, len(raws), BATCH):
        for o in ingest.submit(body, raws[i : i + BATCH], origin=origin):
            out.counts[o.status.value] += 1
            if o.status is Status.REJECTED:
                out.problems.append(f"{o.code}: {o.reason}")
        if len(raws) > BATCH:
            say(f"  {min(i + BATCH, len(raws))} of {len(raws)} messages")
    return out


def _batches(raws: list[bytes]) -> list[list[bytes]]:
    out: list[list[bytes]] = [[]]
    size = 0
    for raw in raws:
        if out[-1] and (len(out[-1]) >= BATCH or size + len(raw) > BATCH_BYTES):
            out.append([])
            size = 0
        out[-1].append(raw)
        size += len(raw)
    return [b for b in out if b]


def _through_api(
    client: NodeClient,
    body: bytes,
    raws: list[bytes],
    no_genesis: str,
    say: Callable[[str], None],
) -> Delivery:
    out = Delivery(f"api {client.url}")
    held = {b["id"] for b in client.bodies()}
    if body.hex() not in held:
        if not raws or not _is_genesis_of(raws[0], body):
            raise NodeError(no_genesis)
        client.found_raw(raws[0])
        raws = raws[1:]
        out.counts["accepted"] += 1
    done = 0
    for batch in _batches(raws):
        for r in client.submit_raw(body, batch):
            out.counts[str(r["status"])] += 1
            if r["status"] == Status.REJECTED.value:
                out.problems.append(f"{r['code']}: {r.get('reason')}")
        done += len(batch)
        if len(raws) > BATCH:
            say(f"  {done} of {len(raws)} messages")
    return out
