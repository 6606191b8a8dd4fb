"""The page's flow end to end: the JS core (interop/js/page_flow.mjs, under
Node.js, fetch only) reads a real node on 127.0.0.1, signs and posts a
name, a proposal, a comment and a text edit made by editToOps from the
served document; the node stores and folds them, and the edit passes the
reference's causal check and gives the edited text."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crdt.sim import make_genesis, seed_for
from crdt.text import TextDocument
from crdt.text_guard import check_ops
from node.config import Config
from node.runtime import NodeRuntime
from protocol import envelope
from protocol.kinds import Kind

FLOW = Path(__file__).resolve().parents[2] / "interop" / "js" / "page_flow.mjs"
MEMBERS = [seed_for(f"js page {i}") for i in range(2)]
GENESIS = make_genesis(MEMBERS)
BODY = GENESIS.body


async def _flow(tmp_path: Path, noble: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    node_exe = shutil.which("node")
    if node_exe is None:
        pytest.skip("node is not installed (scripts/setup)")
    async with NodeRuntime(Config(data_dir=tmp_path / "node", listen_port=0)) as node:
        await node.found_body(GENESIS.raw)
        proc = await asyncio.create_subprocess_exec(
            node_exe,
            str(FLOW),
            node.url,
            BODY.hex(),
            MEMBERS[1].hex(),
            *(["--noble"] if noble else []),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 60)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        assert proc.returncode == 0, err.decode()
        posts = [json.loads(line) for line in out.decode().splitlines()]
        base = f"{node.url}/v0/bodies/{BODY.hex()}"
        async with aiohttp.ClientSession() as http:
            raws = (await (await http.get(f"{base}/messages")).json())["messages"]
            people = await (await http.get(f"{base}/people")).json()
    messages = {
        m.id.hex(): m for m in (envelope.decode_untrusted(bytes.fromhex(r), BODY) for r in raws)
    }
    return posts, {"messages": messages, "people": people}


@pytest.mark.parametrize("noble", [False, True], ids=["webcrypto", "no-subtle"])
def test_the_page_flow_against_a_real_node(tmp_path: Path, noble: bool) -> None:
    posts, seen = asyncio.run(_flow(tmp_path, noble))
    by = {p["what"]: p for p in posts}
    assert [p["what"] for p in posts] == ["name", "proposal", "comment", "text_edit"]
    assert all(p["status"] == "accepted" for p in posts), posts
    for what in ("name", "proposal", "comment"):
        assert by[what]["process"]["taken"] is True, by[what]
    messages = seen["messages"]
    for p in posts:  # stored, and the signatures verify in the reference
        envelope.verify(messages[p["id"]])
    named = [x for x in seen["people"]["people"] if x.get("name") == "Ana Núñez"]
    assert named and named[0]["name_source"]
    # the edit: accepted by the causal check against its past, and right
    proposal = messages[by["proposal"]["id"]]
    edit = messages[by["text_edit"]["id"]]
    assert edit.kind == Kind.TEXT_EDIT
    doc = TextDocument(proposal.id, proposal.payload.text)
    ops = edit.payload.ops
    past = {bytes.fromhex(h) for h in messages} - {edit.id}
    check_ops(doc, edit.id, ops, past)
    doc.apply(edit.id, ops)
    assert doc.text() == "The pump is broken: we fix it on Saturday, all together."
    # a text edit is stored and relayed; the node says what its fold did
    assert isinstance(by["text_edit"]["process"]["taken"], bool)
