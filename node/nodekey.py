"""The node's own key: identifies the node to its peers (node.peering).

It is kept in ``data_dir/node.seed`` (mode 0600, 32 raw bytes) so that an
unattended Raspberry Pi can restart without a passphrase. It only
authenticates node-to-node links: it can never sign a member's vote, and a
stolen node key lets an attacker impersonate the node to its peers, not any
member. (Member keys live in passphrase-protected keystores, node.keyfile.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from protocol.errors import KeystoreError
from protocol.keys import public_key

SEED_FILE = "node.seed"


def load_or_create_node_seed(data_dir: Path) -> tuple[bytes, bytes]:
    """(seed, public key), creating the seed on first start."""
    path = data_dir / SEED_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
            f.flush()
            os.fsync(f.fileno())
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeystoreError(f"{path} is readable by other users; run: chmod 600 {path}")
    seed = path.read_bytes()
    if len(seed) != 32:
        raise KeystoreError(f"{path} is damaged: a node seed is 32 bytes, found {len(seed)}")
    return seed, public_key(seed)
