"""A client of a node's member API: one set of calls and one reading of the
answers, with two drivers — ``NodeClient`` (synchronous, ``urllib``, for the
command line, which stays light on a Raspberry Pi) and ``AsyncNodeClient``
(``aiohttp``, on a session its caller owns: the mesh bridge).

A call is data (``Call``: method, path, body, content type); ``answer``
turns a status and the bytes that came back into the JSON document or a
``ClientError`` naming what the node said (``status`` 0: no answer). Members
sign on their own machine (``sign_and_submit``): the client asks the node
only for the author's last sequence number and the body's heads, signs
locally with the member's seed, and submits the finished envelope.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from protocol import envelope
from protocol.envelope import Envelope
from protocol.keys import public_key
from protocol.kinds import Payload

from .errors import NodeError

if TYPE_CHECKING:
    import aiohttp


class ClientError(NodeError):
    """The node could not be reached (``status`` 0) or refused the request
    (``status`` is the HTTP status; the message carries the node's error)."""

    code = "client"

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    data: bytes | None = None
    ctype: str | None = None
    binary: bool = False  # the answer is bytes (a proof, a bundle), not JSON


def get(path: str, *, binary: bool = False) -> Call:
    return Call("GET", path, binary=binary)


def post_bytes(path: str, data: bytes, *, binary: bool = False) -> Call:
    return Call("POST", path, data, "application/octet-stream", binary)


def found(genesis: bytes) -> Call:
    return post_bytes("/v0/bodies", genesis)


def submit(body: bytes, raws: list[bytes]) -> Call:
    doc = json.dumps({"messages": [raw.hex() for raw in raws]}).encode()
    return Call("POST", f"/v0/bodies/{body.hex()}/messages", doc, "application/json")


def results(doc: Any) -> list[dict[str, Any]]:
    """The per-message results of a submission's answer."""
    try:
        return list(doc["results"])
    except (KeyError, TypeError):
        raise ClientError("the node's answer to a submission has no results") from None


def check_url(url: str) -> str:
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ClientError(
            f"{url!r} is not a node's address; give it as http://HOST:PORT "
            "(e.g. http://127.0.0.1:8470)"
        )
    return url


def answer(url: str, call: Call, status: int, data: bytes) -> Any:
    """The JSON document of the node's answer to ``call``; a ``ClientError``
    naming the node's error for any status but 2xx (and 422 carrying
    per-message results, which is a submission's partial refusal). A
    ``binary`` call's answer is its bytes."""
    if call.binary and 200 <= status < 300:
        return data
    try:
        doc = json.loads(data or b"null")
    except ValueError:
        if 200 <= status < 300:
            raise ClientError(
                f"the node's answer to {call.method} {url}{call.path} is not JSON", status=status
            ) from None
        doc = {"error": "http", "reason": f"HTTP {status}"}
    if 200 <= status < 300 or (status == 422 and isinstance(doc, dict) and "results" in doc):
        return doc
    err = doc if isinstance(doc, dict) else {"error": "http", "reason": str(doc)}
    raise ClientError(f"{url}{call.path}: {err.get('error')}: {err.get('reason')}", status=status)


class NodeClient:
    """The synchronous driver (``urllib``), for the command line."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def do(self, call: Call) -> Any:
        url = check_url(self.url)
        try:
            req = urllib.request.Request(url + call.path, data=call.data, method=call.method)
        except ValueError as exc:
            raise ClientError(f"{url!r} is not a node's address: {exc}") from None
        if call.ctype:
            req.add_header("Content-Type", call.ctype)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return answer(url, call, r.status, r.read())
        except urllib.error.HTTPError as exc:
            return answer(url, call, exc.code, exc.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ClientError(f"cannot reach node at {url}: {exc}") from None

    def get(self, path: str) -> Any:
        return self.do(get(path))

    def node(self) -> dict[str, Any]:
        return dict(self.get("/v0/node"))

    def bodies(self) -> list[dict[str, Any]]:
        return list(self.get("/v0/bodies")["bodies"])

    def found(self, genesis: Envelope) -> str:
        return self.found_raw(genesis.raw)

    def found_raw(self, genesis: bytes) -> str:
        return str(self.do(found(genesis))["id"])

    def submit(self, body: bytes, messages: list[Envelope]) -> list[dict[str, Any]]:
        return self.submit_raw(body, [m.raw for m in messages])

    def submit_raw(self, body: bytes, raws: list[bytes]) -> list[dict[str, Any]]:
        return results(self.do(submit(body, raws)))

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


class AsyncNodeClient:
    """The asynchronous driver (``aiohttp``), on a session the caller owns
    (which also opens the node's event stream)."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = check_url(url)
        self.session = session

    async def do(self, call: Call) -> Any:
        import aiohttp

        headers = {"Content-Type": call.ctype} if call.ctype else None
        try:
            async with self.session.request(
                call.method, self.url + call.path, data=call.data, headers=headers
            ) as r:
                data = await r.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ClientError(
                f"cannot reach the node at {self.url}: {exc or type(exc).__name__}"
            ) from None
        return answer(self.url, call, r.status, data)

    async def get(self, path: str) -> Any:
        return await self.do(get(path))

    async def submit_raw(self, body: bytes, raws: list[bytes]) -> list[dict[str, Any]]:
        return results(await self.do(submit(body, raws)))
