"""Node-to-node authentication: a signed handshake with pinned node keys.

Why a signed handshake rather than TLS with pinned certificates: every node
already has an Ed25519 node key and every peer entry pins one; proving
possession of that key over a fresh challenge authenticates the session
with the same primitive the rest of the protocol uses, works the same over
plain HTTP on a LAN, over a reverse proxy that terminates TLS, and over
radio links, and needs no certificate machinery on a Raspberry Pi. It does
not encrypt: gossip carries only signed, public messages, and integrity of
each message is end to end (its own signature). See spec/node.md.

Protocol (sans-IO, both sides symmetric)::

    A -> B  hello  {node_key: A, nonce: nA (32 random bytes), bodies}
    B -> A  hello  {node_key: B, nonce: nB, bodies}
    A -> B  proof  {sig: Ed25519_A("caracol/0 peer\\x00" || B || nB || A || nA)}
    B -> A  proof  {sig: Ed25519_B("caracol/0 peer\\x00" || A || nA || B || nB)}

Each side checks the other's key against its pinned key (if it pinned one)
and the proof against the nonce *it* chose, so a replayed or relayed
handshake fails. Randomness comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions

from protocol.keys import public_key, sign_raw

from .errors import NodeError

DOMAIN = b"caracol/0 peer\x00"
NONCE_BYTES = 32


class HandshakeError(NodeError):
    code = "handshake"


@dataclass(frozen=True, slots=True)
class Hello:
    node_key: bytes
    nonce: bytes

    def to_json(self) -> dict[str, str]:
        return {"type": "hello", "node_key": self.node_key.hex(), "nonce": self.nonce.hex()}


def _transcript(
    verifier_key: bytes, verifier_nonce: bytes, signer_key: bytes, signer_nonce: bytes
) -> bytes:
    return DOMAIN + verifier_key + verifier_nonce + signer_key + signer_nonce


class Handshake:
    """One side of the handshake. Feed it the peer's hello and proof."""

    def __init__(self, seed: bytes, nonce: bytes, *, pinned: bytes | None = None) -> None:
        if len(nonce) != NONCE_BYTES:
            raise HandshakeError("the nonce must be 32 random bytes")
        self._seed = seed
        self.hello = Hello(public_key(seed), nonce)
        self.pinned = pinned
        self.peer: Hello | None = None
        self.authenticated = False

    def receive_hello(self, message: dict[str, object]) -> dict[str, str]:
        """Check the peer's hello; return our proof to send."""
        try:
            key = bytes.fromhex(str(message["node_key"]))
            nonce = bytes.fromhex(str(message["nonce"]))
        except (KeyError, ValueError):
            raise HandshakeError("hello must carry node_key and nonce as hex") from None
        if len(key) != 32 or len(nonce) != NONCE_BYTES:
            raise HandshakeError("hello has a node_key or nonce of the wrong size")
        if self.pinned is not None and key != self.pinned:
            raise HandshakeError(
                f"peer presented node key {key.hex()[:16]}…, "
                f"but {self.pinned.hex()[:16]}… is pinned"
            )
        if key == self.hello.node_key:
            raise HandshakeError("peer presented our own node key")
        self.peer = Hello(key, nonce)
        sig = sign_raw(self._seed, _transcript(key, nonce, self.hello.node_key, self.hello.nonce))
        return {"type": "proof", "sig": sig.hex()}

    def receive_proof(self, message: dict[str, object]) -> bytes:
        """Check the peer's proof over OUR nonce; return the peer's node key."""
        if self.peer is None:
            raise HandshakeError("proof before hello")
        try:
            sig = bytes.fromhex(str(message["sig"]))
        except (KeyError, ValueError):
            raise HandshakeError("proof must carry sig as hex") from None
        signed = _transcript(
            self.hello.node_key, self.hello.nonce, self.peer.node_key, self.peer.nonce
        )
        if len(sig) != 64:
            raise HandshakeError("proof signature must be 64 bytes")
        try:
            nacl.bindings.crypto_sign_open(sig + signed, self.peer.node_key)
        except (nacl.exceptions.BadSignatureError, ValueError):
            raise HandshakeError(
                "peer's proof does not verify: it does not hold its node key"
            ) from None
        self.authenticated = True
        return self.peer.node_key
