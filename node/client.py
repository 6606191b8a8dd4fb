"""A small synchronous client of a node's member API, for the command line.

Members sign on their own machine (``sign_and_submit``): the client asks
the node only for the author's last sequence number and the body's heads,
signs locally with the member's seed, and submits the finished envelope.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from protocol import envelope
from protocol.envelope import Envelope
from protocol.keys import public_key
from protocol.kinds import Payload

from .errors import NodeError


class ClientError(NodeError):
    code = "client"


class NodeClient:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _request(
        self, method: str, path: str, data: bytes | None = None, ctype: str | None = None
    ) -> Any:
        if not self.url.startswith(("http://", "https://")):
            raise ClientError(
                f"{self.url!r} is not a node's address; give it as http://HOST:PORT "
                "(e.g. http://127.0.0.1:8470)"
            )
        try:
            req = urllib.request.Request(self.url + path, data=data, method=method)
        except ValueError as exc:
            raise ClientError(f"{self.url!r} is not a node's address: {exc}") from None
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                doc = json.loads(exc.read())
            except ValueError:
                doc = {"error": "http", "reason": str(exc)}
            if exc.code == 422 and "results" in doc:
                return doc
            raise ClientError(
                f"{self.url}{path}: {doc.get('error')}: {doc.get('reason')}"
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ClientError(f"cannot reach node at {self.url}: {exc}") from None

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def node(self) -> dict[str, Any]:
        return dict(self.get("/v0/node"))

    def bodies(self) -> list[dict[str, Any]]:
        return list(self.get("/v0/bodies")["bodies"])

    def found(self, genesis: Envelope) -> str:
        return self.found_raw(genesis.raw)

    def found_raw(self, genesis: bytes) -> str:
        return str(self._request("POST", "/v0/bodies", genesis, "application/octet-stream")["id"])

    def submit(self, body: bytes, messages: list[Envelope]) -> list[dict[str, Any]]:
        return self.submit_raw(body, [m.raw for m in messages])

    def submit_raw(self, body: bytes, raws: list[bytes]) -> list[dict[str, Any]]:
        doc = json.dumps({"messages": [raw.hex() for raw in raws]}).encode()
        return list(
            self._request("POST", f"/v0/bodies/{body.hex()}/messages", doc, "application/json")[
                "results"
            ]
        )

    def sign_and_submit(
        self, seed: bytes, body: bytes, payload: Payload, *, time: int
    ) -> tuple[Envelope, dict[str, Any]]:
        me = self.get(f"/v0/bodies/{body.hex()}/authors/{public_key(seed).hex()}")
        env = envelope.sign(
            seed,
            body,
            payload,
            parents=[bytes.fromhex(h) for h in me["heads"]][-envelope.MAX_PARENTS :],
            seq=int(me["last_seq"]) + 1,
            time=time,
        )
        (result,) = self.submit(body, [env])
        return env, result
