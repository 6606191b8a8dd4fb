"""The node handshake: both sides prove their pinned node keys."""

from __future__ import annotations

import hashlib

import pytest

from node.peering import Handshake, HandshakeError
from protocol.keys import public_key

A = hashlib.sha256(b"node a").digest()
B = hashlib.sha256(b"node b").digest()
M = hashlib.sha256(b"mallory").digest()


def _run(a: Handshake, b: Handshake) -> tuple[bytes, bytes]:
    proof_a = a.receive_hello(b.hello.to_json())
    proof_b = b.receive_hello(a.hello.to_json())
    return a.receive_proof(proof_b), b.receive_proof(proof_a)


def test_pinned_peers_authenticate_each_other() -> None:
    a = Handshake(A, b"\x01" * 32, pinned=public_key(B))
    b = Handshake(B, b"\x02" * 32, pinned=public_key(A))
    assert _run(a, b) == (public_key(B), public_key(A))
    assert a.authenticated and b.authenticated


def test_a_peer_claiming_another_key_is_refused_at_hello() -> None:
    a = Handshake(A, b"\x01" * 32, pinned=public_key(B))
    m = Handshake(M, b"\x03" * 32)
    with pytest.raises(HandshakeError, match="is pinned"):
        a.receive_hello(m.hello.to_json())


def test_a_peer_replaying_another_peers_key_cannot_prove_it() -> None:
    a = Handshake(A, b"\x01" * 32, pinned=public_key(B))
    # Mallory sends B's key but cannot sign A's fresh nonce with it.
    a.receive_hello({"node_key": public_key(B).hex(), "nonce": "04" * 32})
    old = Handshake(B, b"\x02" * 32).receive_hello(Handshake(A, b"\x09" * 32).hello.to_json())
    with pytest.raises(HandshakeError, match="does not verify"):
        a.receive_proof(old)


@pytest.mark.parametrize(
    "hello",
    [{}, {"node_key": "zz", "nonce": "00"}, {"node_key": "00" * 31, "nonce": "00" * 32}],
)
def test_malformed_hello_is_a_clear_error(hello: dict[str, object]) -> None:
    with pytest.raises(HandshakeError):
        Handshake(A, b"\x01" * 32).receive_hello(hello)
