"""What the node and the command line refuse about disputes, each with the
reason naming what was wrong (spec/api.md, "Disputes")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from node import keyfile
from node.cli import main
from node.config import Config
from node.disputes import BUNDLE_TAG
from node.runtime import NodeRuntime
from protocol import canonical
from tests.node.test_disputes_api import PASS
from tests.process.test_disputes import GEN


async def _refusals(tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = GEN.World()
    d = w.raise_(w.x, w.y.body)
    async with (
        NodeRuntime(Config(data_dir=tmp / "n", listen_port=0)) as node,
        aiohttp.ClientSession() as http,
    ):
        await node.found_body(w.x.messages[0].raw)
        r = await http.post(
            f"{node.url}/v0/bodies/{w.x.body.hex()}/messages",
            json={"messages": [m.raw.hex() for m in w.x.messages[1:]]},
        )
        assert r.status == 201
        url = node.url

        async def post(data: bytes) -> tuple[int, dict[str, str]]:
            async with http.post(f"{url}/v0/disputes", data=data) as r:
                return r.status, await r.json()

        good = [m.raw for m in w.x.messages]
        forged = bytearray(good[1])
        forged[-1] ^= 1
        status, doc = await post(canonical.encode((BUNDLE_TAG, (tuple([good[0], bytes(forged)]),))))
        assert status == 422 and doc["error"] == "bad_bundle"
        assert "log 0 message 1" in doc["reason"]
        status, doc = await post(canonical.encode((BUNDLE_TAG, (tuple(good[1:]),))))
        assert status == 422 and "does not start with its genesis" in doc["reason"]
        status, doc = await post(canonical.encode((BUNDLE_TAG, (tuple(good),) * 17)))
        assert status == 422 and "1 to 16 logs" in doc["reason"]
        status, doc = await post(canonical.encode((1, (tuple(good),))))
        assert status == 422 and "expected [2," in doc["reason"]
        # Valle's parent (the Region) is not held here: not this node's to determine
        status, doc = await post(canonical.encode((BUNDLE_TAG, (tuple(good),))))
        assert status == 404 and doc["error"] == "unknown_body" and "Valle" in doc["reason"]

        async with http.get(f"{url}/v0/disputes/{'ab' * 32}/bundle") as r:
            assert r.status == 404 and (await r.json())["error"] == "unknown_dispute"
        async with http.get(f"{url}/v0/bodies/zz/disputes") as r:
            assert r.status == 400 and (await r.json())["field"] == "body"
        async with http.get(f"{url}/v0/bodies/{'ab' * 32}/disputes") as r:
            assert r.status == 404 and (await r.json())["error"] == "unknown_body"
        async with http.get(f"{url}/v0/bodies/{w.x.body.hex()}/disputes") as r:
            (listed,) = (await r.json())["disputes"]
        assert listed["dispute"] == d.hex() and listed["status"] == "raised"

        keyfile.write(tmp / "x1.key", w.x.seed("x1"), PASS)
        common = ["--keystore", str(tmp / "x1.key"), "--node", url, "--body", w.x.body.hex()]
        for args, says in (
            (
                ["raise", *common, "--respondent", w.x.body.hex(), "--matter", "m"],
                "--respondent: a body cannot raise a dispute with itself",
            ),
            (
                ["raise", *common, "--respondent", "12ab", "--matter", "m"],
                "--respondent: a body or message id is 64 hex digits",
            ),
            (
                ["mediate", *common, "--dispute", "cafecafe", "--unresolved"],
                "--dispute: no dispute starts with cafecafe",
            ),
            (
                ["mediate", *common, "--dispute", d.hex(), "--settled", " "],
                "you hold no mandate in force for this dispute",
            ),
            (
                ["respond", *common, "--dispute", d.hex(), "--claimant", w.x.body.hex()],
                "--claimant: a body does not answer its own dispute",
            ),
            (
                ["show", "00" * 32, "--node", url, "--body", w.x.body.hex()],
                "unknown_dispute",
            ),
        ):
            capsys.readouterr()
            rc = await asyncio.to_thread(main, ["dispute", *args])
            err = capsys.readouterr().err.strip()
            assert rc == 1 and says in err, (args, err)
            assert len(err.splitlines()) == 1 and err.startswith("caracol dispute ")


def test_the_node_and_the_command_line_refuse_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARACOL_PASSPHRASE", PASS)
    asyncio.run(_refusals(tmp_path, capsys))
