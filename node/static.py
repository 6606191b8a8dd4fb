"""The members' page, served by the node itself (same origin as the API).

Routes (spec/api.md, "The members' page"):

* ``GET /`` — ``node/web/index.html``;
* ``GET /web/{path}`` — the page's files (``node/web/``);
* ``GET /core/{path}`` — the JavaScript core (``interop/js/core/``);
* ``GET /vendor/{path}`` — the few ``node_modules`` files the core imports in
  a browser (a fixed list, interop/js/README.md), nothing else;
* ``GET /manifest.webmanifest`` and ``GET /sw.js`` — at the root, so the
  service worker's scope is the whole page.

Every answer carries a strict Content-Security-Policy (nothing from another
origin, no inline script or style), ``nosniff``, no referrer and no
framing; files go out gzipped when the browser accepts it, with an ETag
(``If-None-Match`` answers 304). Paths are resolved inside their folder: ``..``, absolute paths,
encoded dots and symlinks leading out answer 404. No cookies.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
WEB = Path(__file__).resolve().parent / "web"
CORE = ROOT / "interop" / "js" / "core"
NODE_MODULES = ROOT / "node_modules"

VENDOR = frozenset(
    {
        "hash-wasm/dist/index.esm.js",
        "@noble/ciphers/salsa.js",
        "@noble/ciphers/_arx.js",
        "@noble/ciphers/_poly1305.js",
        "@noble/ciphers/utils.js",
        "@noble/ed25519/index.js",
        "@noble/hashes/sha2.js",
        "@noble/hashes/_md.js",
        "@noble/hashes/_u64.js",
        "@noble/hashes/utils.js",
        "jsqr/dist/jsQR.js",
    }
)
"""The node_modules files the JS core imports in a browser."""

CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".wasm": "application/wasm",
}


def _inside(folder: Path, rel: str) -> Path | None:
    """``folder/rel`` if it is a file truly inside ``folder``, else None."""
    if not rel or rel.startswith(("/", "\\")) or "\\" in rel or "\x00" in rel:
        return None
    if any(part in ("", ".", "..") for part in rel.split("/")):
        return None
    try:
        path = (folder / rel).resolve(strict=True)
        base = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if base not in path.parents or not path.is_file():
        return None
    return path


def _not_found(what: str) -> web.Response:
    r = web.json_response(
        {"error": "not_found", "reason": f"no such file: {what}", "field": "path"}, status=404
    )
    r.headers.update(SECURITY_HEADERS)
    return r


@dataclass(frozen=True, slots=True)
class _Loaded:
    stamp: tuple[int, int]
    data: bytes
    gzipped: bytes
    etag: str


_LOADED: dict[Path, _Loaded] = {}


def _load(path: Path) -> _Loaded:
    """The file's bytes, gzipped once and kept until it changes on disk."""
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    kept = _LOADED.get(path)
    if kept is None or kept.stamp != stamp:
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        kept = _Loaded(stamp, data, gzip.compress(data, 9, mtime=0), etag)
        _LOADED[path] = kept
    return kept


def _file(request: web.Request, path: Path | None, what: str) -> web.StreamResponse:
    if path is None or path.suffix not in TYPES:
        return _not_found(what)
    f = _load(path)
    headers = {**SECURITY_HEADERS, "ETag": f.etag, "Cache-Control": "no-cache"}
    headers["Vary"] = "Accept-Encoding"
    if request.headers.get("If-None-Match") == f.etag:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = TYPES[path.suffix]
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(f.gzipped) < len(f.data):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=f.gzipped, headers=headers)
    return web.Response(body=f.data, headers=headers)


async def _index(request: web.Request) -> web.StreamResponse:
    return _file(request, _inside(WEB, "index.html"), "index.html")


async def _web(request: web.Request) -> web.StreamResponse:
    rel = request.match_info["path"]
    return _file(request, _inside(WEB, rel), rel)


async def _root_file(request: web.Request) -> web.StreamResponse:
    name = request.path.lstrip("/")
    return _file(request, _inside(WEB, name), name)


async def _core(request: web.Request) -> web.StreamResponse:
    rel = request.match_info["path"]
    return _file(request, _inside(CORE, rel), rel)


async def _vendor(request: web.Request) -> web.StreamResponse:
    rel = request.match_info["path"]
    if rel not in VENDOR:
        return _not_found(rel)
    path = _inside(NODE_MODULES, rel)
    if path is None:
        return _not_found(f"{rel} (run scripts/setup: it installs node_modules)")
    return _file(request, path, rel)


@web.middleware
async def middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every answer of the node — page, API, errors — carries the security
    headers; an unknown path or method answers the API's JSON error; JSON
    answers over 1 KiB go out gzipped when the client accepts it."""
    try:
        resp = await handler(request)
    except web.HTTPNotFound as exc:
        if exc.content_type != "application/json":  # no route matched
            return _not_found(request.path)
        exc.headers.update(SECURITY_HEADERS)
        raise
    except web.HTTPMethodNotAllowed as exc:
        r = web.json_response(
            {"error": "bad_request", "reason": f"{request.method} not allowed on {request.path}"},
            status=405,
            headers={"Allow": ",".join(sorted(exc.allowed_methods))},
        )
        r.headers.update(SECURITY_HEADERS)
        return r
    except web.HTTPException as exc:
        for k, v in SECURITY_HEADERS.items():
            exc.headers.setdefault(k, v)
        raise
    if resp.prepared:  # a stream (events, WebSocket, gossip): headers already sent
        return resp
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    if (
        isinstance(resp, web.Response)
        and resp.content_type == "application/json"
        and "Content-Encoding" not in resp.headers  # a page file, gzipped already
        and isinstance(resp.body, bytes)
        and len(resp.body) > 1024
        and "gzip" in request.headers.get("Accept-Encoding", "")
    ):
        resp.enable_compression(web.ContentCoding.gzip)
    return resp


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", _index),
        web.get("/manifest.webmanifest", _root_file),
        web.get("/sw.js", _root_file),
        web.get("/web/{path:.+}", _web),
        web.get("/core/{path:.+}", _core),
        web.get("/vendor/{path:.+}", _vendor),
    ]
