"""LXMF store-and-forward of signed Caracol messages.

The end-to-end test runs three real Reticulum processes on 127.0.0.1: an
LXMF propagation node, a sender that deposits a peer's missing messages
while the peer is off, and, only after the sender has finished, the peer,
which collects from the propagation node and ends with the sender's log
state. One of the deposits has been tampered with and is refused with its
reason. The other tests check the payload functions without a network.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from rns_harness import Proc, free_port, processes

from crdt.log import Log
from mesh import lxmf_relay
from mesh.errors import BadFrame, LocalMeshError, RemoteMeshError
from protocol import envelope
from protocol.kinds import Choice, Comment, Stance, Vote
from protocol.sneakernet import Bundle
from protocol.testing import Scenario
from protocol.verdict import FullProof


def _scenario() -> tuple[Scenario, int, bytes]:
    """A body where the sender holds three votes the recipient lacks."""
    sc = Scenario(("ana", "bea", "cruz", "dev"))
    p = sc.propose("ana")
    held = len(sc.messages)
    for name, choice in (("bea", Choice.FOR), ("cruz", Choice.AGAINST), ("dev", Choice.FOR)):
        sc.post(name, Vote(p, choice), parents=[p])
    return sc, held, p


def _log_of(sc: Scenario, n: int) -> Log:
    log = Log(sc.body)
    for m in sc.messages[:n]:
        log.add(m)
    return log


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_deposit_collected_later_through_a_propagation_node(tmp_path: Path) -> None:
    sc, held, p = _scenario()
    (tmp_path / "sender.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in sc.messages)).encode()
    )
    (tmp_path / "recipient.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in sc.messages[:held])).encode()
    )
    # a deposit someone altered: it carries a vote the sender never held, one
    # byte changed, so the bundle's digest no longer matches
    forged = envelope.sign(
        sc.seed("ana"), sc.body, Vote(p, Choice.AGAINST), parents=(p,), seq=9, time=sc.now
    )
    bad = Bundle(sc.body, sc.heads(), (forged.raw,)).encode()
    (tmp_path / "tampered.bundle").write_bytes(_flip(bad, bad.find(forged.raw) + 40))

    port = free_port()
    relay = ["-m", "mesh.lxmf_relay"]
    with processes() as procs:
        pn = Proc(
            [*relay, "propagation-node", "--dir", str(tmp_path / "pn"), "--listen", str(port)]
        )
        procs.append(pn)
        node = pn.expect("propagation-node ", timeout=20).split()[1]
        # the recipient exists (it has an identity the sender knows) but is off
        ident = Proc([*relay, "identity", "--file", str(tmp_path / "recipient.id")])
        procs.append(ident)
        public_key = ident.expect("identity ", timeout=10).split()[1]

        reach = ["--connect", str(port), "--node", node]
        sender_log, tampered = str(tmp_path / "sender.log"), str(tmp_path / "tampered.bundle")
        deposit = [*relay, "deposit", "--dir", str(tmp_path / "sender"), *reach]
        sender = Proc(
            [
                *deposit,
                "--to",
                public_key,
                "--log",
                sender_log,
                "--try-link",
                "2",
                "--raw",
                tampered,
            ]
        )
        procs.append(sender)
        # no live link to the peer comes up, so its messages are deposited
        unreachable = sender.expect("peer unreachable", timeout=30)
        assert unreachable.endswith("; deposited 1 bundles"), unreachable
        assert "no path to the Reticulum destination" in unreachable, unreachable
        assert sender.expect("deposited ", timeout=30) == "deposited 1 bundles"  # the tampered one
        assert sender.wait(15) == 0, sender.diagnostics()

        ident_file, recipient_log = str(tmp_path / "recipient.id"), str(tmp_path / "recipient.log")
        collect = [*relay, "collect", "--dir", str(tmp_path / "recipient"), *reach]
        recipient = Proc([*collect, "--identity", ident_file, "--log", recipient_log])
        procs.append(recipient)
        rejected = recipient.expect("rejected ", timeout=40)
        assert "bundle integrity check failed" in rejected, rejected
        state = recipient.expect("state ", timeout=10)
        assert state == (
            f"state {sc.log.state_hash().hex()} messages {len(sc.messages)} "
            f"accepted {len(sc.messages) - held} rejected 1"
        )
        assert recipient.wait(15) == 0, recipient.diagnostics()


def test_bundles_are_cut_to_the_limit_and_rebuild_the_log() -> None:
    sc, _, p = _scenario()
    for i in range(30):
        sc.post("bea", Comment(p, None, Stance.NEUTRAL, f"note {i} " + "x" * 1500), parents=[p])
    bundles = lxmf_relay.bundles_for(sc.log, max_bytes=envelope.MAX_MESSAGE_BYTES + 2000)
    assert len(bundles) > 1
    assert all(len(b) <= envelope.MAX_MESSAGE_BYTES + 2000 for b in bundles)
    log = _log_of(sc, 1)
    for b in reversed(bundles):  # in any order: pending messages wait for their parents
        lxmf_relay.apply_untrusted(b, log)
    assert log.state_hash() == sc.log.state_hash()


def test_bundles_since_the_peers_heads_hold_only_what_it_lacks() -> None:
    sc, held, _ = _scenario()
    peer = _log_of(sc, held)
    (only,) = lxmf_relay.bundles_for(sc.log, since=peer.heads())
    assert set(Bundle.decode_untrusted(only).messages) == {m.raw for m in sc.messages[held:]}
    got = lxmf_relay.apply_untrusted(only, peer)
    assert got == lxmf_relay.Collected(accepted=len(sc.messages) - held)
    assert peer.state_hash() == sc.log.state_hash()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: len(b) // 2], "not a Caracol bundle"),
        (lambda b: _flip(b, len(b) - 100), "bundle integrity check failed"),
        (lambda b: b"\x00" * (lxmf_relay.MAX_DEPOSIT_BYTES + 1), "exceeds the 200000-byte limit"),
        (lambda b: b"hello", "not a Caracol bundle"),
    ],
)
def test_a_damaged_deposit_is_refused_whole_and_nothing_held_changes(
    damage: object, reason: str
) -> None:
    sc, held, _ = _scenario()
    peer = _log_of(sc, held)
    before = peer.state_hash()
    (good,) = lxmf_relay.bundles_for(sc.log, since=peer.heads())
    with pytest.raises(BadFrame, match=reason) as exc:
        lxmf_relay.apply_untrusted(damage(good), peer)  # type: ignore[operator]
    assert isinstance(exc.value, RemoteMeshError)
    assert peer.state_hash() == before and len(peer) == held


def test_a_forged_message_is_refused_alone_with_its_reason() -> None:
    """A digest is not a signature: whoever rebuilds a bundle can make it
    match, but each message must still verify against the body."""
    sc, held, _ = _scenario()
    peer = _log_of(sc, held)
    forged = _flip(sc.messages[held].raw, len(sc.messages[held].raw) - 1)  # its signature
    rest = tuple(m.raw for m in sc.messages[held + 1 :])
    got = lxmf_relay.apply_untrusted(Bundle(sc.body, sc.heads(), (forged, *rest)).encode(), peer)
    assert got.accepted == len(rest)
    (reason,) = got.rejected
    assert reason.startswith("message 0 of the deposit:") and "signature" in reason, reason
    assert sc.messages[held].id not in peer


def test_a_deposit_for_another_body_is_refused() -> None:
    sc, _, _ = _scenario()
    other_log = Log(Scenario(("zoe",)).body)
    (data,) = lxmf_relay.bundles_for(sc.log)
    with pytest.raises(BadFrame, match="the deposit is for body"):
        lxmf_relay.apply_untrusted(data, other_log)
    assert len(other_log) == 0


def test_an_lxmf_message_that_is_not_a_caracol_deposit_is_named() -> None:
    from LXMF import FIELD_CUSTOM_DATA, FIELD_CUSTOM_TYPE

    with pytest.raises(BadFrame, match="no fields"):
        lxmf_relay.deposit_untrusted(None)
    with pytest.raises(BadFrame, match="custom type is 'chat'"):
        lxmf_relay.deposit_untrusted({FIELD_CUSTOM_TYPE: "chat", FIELD_CUSTOM_DATA: b""})
    with pytest.raises(BadFrame, match="not a byte string"):
        lxmf_relay.deposit_untrusted(
            {FIELD_CUSTOM_TYPE: lxmf_relay.CUSTOM_TYPE, FIELD_CUSTOM_DATA: 3}
        )
    data = {FIELD_CUSTOM_TYPE: lxmf_relay.CUSTOM_TYPE.encode(), FIELD_CUSTOM_DATA: b"x"}
    assert lxmf_relay.deposit_untrusted(data) == b"x"


def test_a_deposit_too_large_for_a_propagation_node_is_refused_locally() -> None:
    async def main() -> None:
        relay = object.__new__(lxmf_relay.LxmfRelay)  # no router needed to refuse
        with pytest.raises(LocalMeshError, match="exceeds"):
            await relay.deposit(None, bytes(16), [bytes(lxmf_relay.MAX_DEPOSIT_BYTES + 1)])

    anyio.run(main)


def test_a_reachable_peer_is_synchronised_live_not_deposited(tmp_path: Path) -> None:
    sc, held, _ = _scenario()
    (tmp_path / "sender.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in sc.messages)).encode()
    )
    (tmp_path / "peer.log").write_bytes(
        FullProof(sc.body, tuple(m.raw for m in sc.messages[:held])).encode()
    )
    port = free_port()
    with processes() as procs:
        ident = Proc(["-m", "mesh.lxmf_relay", "identity", "--file", str(tmp_path / "peer.id")])
        procs.append(ident)
        public_key = ident.expect("identity ", timeout=10).split()[1]
        node_dir, peer_id, peer_log = (str(tmp_path / n) for n in ("peer", "peer.id", "peer.log"))
        serve = ["-m", "mesh.reticulum_node", "--dir", node_dir, "--listen", str(port)]
        peer = Proc([*serve, "--identity", peer_id, "--log", peer_log])
        procs.append(peer)
        peer.expect("destination ", timeout=20)
        deposit = ["-m", "mesh.lxmf_relay", "deposit", "--dir", str(tmp_path / "sender")]
        reach = ["--connect", str(port), "--node", "00" * 16, "--to", public_key]
        sender = Proc([*deposit, *reach, "--log", str(tmp_path / "sender.log"), "--try-link", "20"])
        procs.append(sender)
        state = sc.log.state_hash().hex()
        synced = sender.expect("synced", timeout=40)
        assert synced == f"synced with the peer over a live link; state {state}", synced
        assert peer.expect("state ", timeout=10) == f"state {state} messages {len(sc.messages)}"
        assert sender.wait(15) == 0, sender.diagnostics()
