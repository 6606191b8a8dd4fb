"""The members' page as the node serves it (node/static.py): the right
files with the right types, strict security headers and no cookies, only
the whitelisted vendor files, no way out of the served folders, 404 as
JSON, ETag/304, gzip, and the API still beside it. Plus the catalogues:
every key the page's JavaScript asks for exists in English and Spanish,
and the two agree on keys and placeholders.

One node runs in-process (``NodeRuntime`` on 127.0.0.1, port 0) on its own
event loop in a thread, shared by the module; requests go through
``http.client`` so the request line is sent exactly as written (no client
normalises ``..`` or percent-escapes away).
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from node import static
from node.config import Config
from node.runtime import NodeRuntime

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "node" / "web"
CORE = ROOT / "interop" / "js" / "core"
NODE_MODULES = ROOT / "node_modules"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> object:
        return json.loads(self.body)


class Server:
    """A NodeRuntime on its own event loop in a background thread."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # surfaced in start()
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with NodeRuntime(Config(data_dir=self.data_dir, listen_port=0)) as node:
            self.url = node.url
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(30), "node did not start"
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET with ``path`` sent byte for byte as the request target."""
        u = urlsplit(self.url)
        conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port, timeout=10)
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
            r = conn.getresponse()
            return Answer(r.status, r.headers, r.read())
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("static") / "node")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def _assert_secure(a: Answer) -> None:
    csp = a.header("Content-Security-Policy")
    assert csp == static.CSP
    assert csp is not None and "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")
    assert a.header("X-Content-Type-Options") == "nosniff"
    assert a.header("Referrer-Policy") == "no-referrer"
    assert a.header("X-Frame-Options") == "DENY"
    assert a.header("Set-Cookie") is None


def _assert_not_found(a: Answer, asked: str = "") -> None:
    assert a.status == 404, (a.status, a.body[:200])
    body = a.json()
    assert isinstance(body, dict)
    assert body["error"] == "not_found" and body["field"] == "path"
    text = a.body.decode()
    # nothing of the file outside, nor of where the node lives on disk
    assert "SECURITY_HEADERS" not in text and "import" not in text
    if str(ROOT) not in asked:
        assert str(ROOT) not in text and "/home" not in text


def test_index_is_the_page_with_strict_headers(server: Server) -> None:
    a = server.get("/")
    assert a.status == 200
    assert (a.header("Content-Type") or "").startswith("text/html")
    assert a.body == (WEB / "index.html").read_bytes()
    _assert_secure(a)


def test_csp_exact_value(server: Server) -> None:
    csp = server.get("/").header("Content-Security-Policy") or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp


@pytest.mark.parametrize(
    ("path", "mime", "file"),
    [
        ("/web/app.js", "text/javascript", WEB / "app.js"),
        ("/web/style.css", "text/css", WEB / "style.css"),
        ("/web/i18n/en.json", "application/json", WEB / "i18n" / "en.json"),
        ("/manifest.webmanifest", "application/manifest+json", WEB / "manifest.webmanifest"),
        ("/sw.js", "text/javascript", WEB / "sw.js"),
        ("/web/icon.svg", "image/svg+xml", WEB / "icon.svg"),
        ("/web/icon-192.png", "image/png", WEB / "icon-192.png"),
        ("/core/index.js", "text/javascript", CORE / "index.js"),
    ],
)
def test_files_and_their_types(server: Server, path: str, mime: str, file: Path) -> None:
    a = server.get(path)
    assert a.status == 200, (path, a.body[:200])
    assert (a.header("Content-Type") or "").split(";")[0] == mime
    assert a.body == file.read_bytes()
    _assert_secure(a)


def test_every_answer_has_headers_and_no_cookie(server: Server) -> None:
    paths = ["/", "/web/app.js", "/core/index.js", "/web/missing.js", "/v0/node", "/sw.js"]
    for p in paths:
        a = server.get(p, {"Accept-Encoding": "gzip"})
        assert a.header("Set-Cookie") is None, p
        if not p.startswith("/v0/"):
            _assert_secure(a)


def test_whitelisted_vendor_file_is_served(server: Server) -> None:
    rel = "@noble/ed25519/index.js"
    assert rel in static.VENDOR
    if not (NODE_MODULES / rel).is_file():
        pytest.skip("node_modules is absent (scripts/setup installs it)")
    a = server.get(f"/vendor/{rel}")
    assert a.status == 200
    assert (a.header("Content-Type") or "").startswith("text/javascript")
    assert a.body == (NODE_MODULES / rel).read_bytes()
    _assert_secure(a)


@pytest.mark.parametrize(
    "rel",
    [
        "hash-wasm/package.json",
        "hash-wasm/README.md",
        "@noble/ed25519/package.json",
        "axe-core/axe.min.js",
        ".package-lock.json",
        "hash-wasm/dist/index.esm.js/../../package.json",
    ],
)
def test_node_modules_outside_the_list_is_404(server: Server, rel: str) -> None:
    assert rel not in static.VENDOR
    _assert_not_found(server.get(f"/vendor/{rel}"))


@pytest.mark.parametrize(
    "path",
    [
        "/web/../static.py",
        "/web/%2e%2e/static.py",
        "/web/%2E%2E/static.py",
        "/web/..%2fstatic.py",
        "/web/..%2Fstatic.py",
        "/web/..%5cstatic.py",
        "/core/../../node/static.py",
        "/core/%2e%2e/%2e%2e/node/static.py",
        "/web/" + str(ROOT / "node" / "static.py"),
        "/web//etc/passwd",
        "/web/%2fetc%2fpasswd",
        "/web/i18n/../../static.py",
        "/web/i18n/%2e%2e/%2e%2e/static.py",
        "/web/index.html%00.js",
        "/web/%00",
        "/web/./index.html/..",
        "/vendor/../node/static.py",
        "/vendor/%2e%2e/node/static.py",
    ],
)
def test_path_traversal_is_404_and_leaks_nothing(server: Server, path: str) -> None:
    a = server.get(path)
    # aiohttp may itself normalise some of these to a path no route
    # serves; either way the answer is a plain 404 that reveals nothing
    assert a.status == 404, (path, a.status, a.body[:200])
    assert b"SECURITY_HEADERS" not in a.body and b"root:" not in a.body
    if str(ROOT) not in path:  # the reason may echo the path asked, nothing more
        assert str(ROOT).encode() not in a.body
    if (a.header("Content-Type") or "").startswith("application/json"):
        _assert_not_found(a, asked=path)


def test_routed_traversal_is_our_json_404(server: Server) -> None:
    """Paths the router hands to the static handlers get the JSON 404."""
    for path in ("/web/..%2fstatic.py", "/web/%2e%2e/static.py", "/web/index.html%00.js"):
        _assert_not_found(server.get(path))


def test_missing_file_is_json_404(server: Server) -> None:
    for path in ("/web/nope.js", "/core/nope.js", "/web/i18n/fr.json", "/vendor/nope/x.js"):
        a = server.get(path)
        _assert_not_found(a)
        _assert_secure(a)


def test_a_folder_is_not_a_file(server: Server) -> None:
    for path in ("/web/i18n", "/web/i18n/", "/web/screens", "/core/", "/vendor/hash-wasm/dist"):
        a = server.get(path)
        assert a.status == 404, path
        assert a.header("Set-Cookie") is None


def test_etag_and_304(server: Server) -> None:
    for path in ("/", "/web/app.js", "/core/index.js"):
        a = server.get(path)
        etag = a.header("ETag")
        assert etag and etag.startswith('"') and etag.endswith('"')
        b = server.get(path, {"If-None-Match": etag})
        assert b.status == 304 and b.body == b""
        assert b.header("ETag") == etag
        _assert_secure(b)
        c = server.get(path, {"If-None-Match": '"not-it"'})
        assert c.status == 200 and c.body == a.body


def test_gzip_when_accepted(server: Server) -> None:
    for path, file in (("/web/app.js", WEB / "app.js"), ("/core/index.js", CORE / "index.js")):
        plain = server.get(path)
        assert plain.header("Content-Encoding") is None and plain.body == file.read_bytes()
        z = server.get(path, {"Accept-Encoding": "gzip, deflate, br"})
        assert z.status == 200
        assert z.header("Content-Encoding") == "gzip"
        assert "Accept-Encoding" in (z.header("Vary") or "")
        assert gzip.decompress(z.body) == file.read_bytes()
        assert len(z.body) < len(plain.body)
        # the ETag names the content, not the encoding it travels in
        assert z.header("ETag") == plain.header("ETag")


def test_api_still_beside_the_page(server: Server) -> None:
    a = server.get("/v0/node")
    assert a.status == 200
    body = a.json()
    assert isinstance(body, dict) and body
    assert server.get("/v0/bodies").status == 200


def test_every_answer_carries_the_security_headers(server: Server) -> None:
    for path in ("/v0/node", "/v0/bodies", "/nope", "/core/", f"/v0/bodies/{'00' * 32}"):
        a = server.get(path)
        assert a.header("Content-Security-Policy") == static.CSP, path
        assert a.header("X-Content-Type-Options") == "nosniff", path
        assert a.header("Set-Cookie") is None, path
    unmatched = server.get("/nope")
    assert unmatched.status == 404 and unmatched.json() == {
        "error": "not_found",
        "reason": "no such file: /nope",
        "field": "path",
    }


def test_json_is_gzipped_when_accepted_and_only_once(server: Server) -> None:
    plain = server.get("/v0/bodies/x/openapi-does-not-exist")
    assert plain.header("Content-Encoding") is None  # small answers stay plain
    a = server.get("/web/i18n/en.json", {"Accept-Encoding": "gzip"})
    assert a.header("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(a.body)) == json.loads(
        (WEB / "i18n" / "en.json").read_text(encoding="utf-8")
    )


def _core_the_page_loads() -> set[str]:
    """core/index.js and every core module it imports, transitively: what
    the page loads. Modules only the harness imports by path (the log,
    frames, reconciliation, a node link …) are not kept for the phone."""
    core = ROOT / "interop" / "js" / "core"
    seen: set[str] = set()
    todo = ["index.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (core / name).read_text(encoding="utf-8")
        todo += re.findall(r"""from\s+["']\./([\w.]+\.js)["']""", text)
    return seen


def test_the_service_worker_keeps_the_whole_shell() -> None:
    """sw.js lists every page module and every core module the page loads,
    so the page opens offline after one visit."""
    sw = (WEB / "sw.js").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(/[^"]+)"', sw))
    for js in WEB.rglob("*.js"):
        if js.name != "sw.js":
            assert f"/web/{js.relative_to(WEB).as_posix()}" in listed, js
    loaded = _core_the_page_loads()
    assert {"index.js", "envelope.js", "text.js"} <= loaded, loaded
    for name in loaded:
        assert f"/core/{name}" in listed, name
    for path in listed:
        if path.startswith("/vendor/"):
            assert path.removeprefix("/vendor/") in static.VENDOR, path


# -- catalogues -------------------------------------------------------------

_T_CALL = re.compile(r"""\bt\(\s*(["'])([^"'`$\\]+)\1""")
_DATA_I18N = re.compile(r"""data-i18n(?:-aria)?=["']([^"']+)["']""")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalogue(lang: str) -> dict[str, str]:
    data = json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _used_keys() -> dict[str, str]:
    """Every literal key the page asks for -> the first file that asks."""
    used: dict[str, str] = {}
    for js in sorted(WEB.rglob("*.js")):
        for m in _T_CALL.finditer(js.read_text(encoding="utf-8")):
            used.setdefault(m.group(2), str(js.relative_to(WEB)))
    for f in [WEB / "index.html", *sorted(WEB.rglob("*.js"))]:
        for m in _DATA_I18N.finditer(f.read_text(encoding="utf-8")):
            used.setdefault(m.group(1), str(f.relative_to(WEB)))
    return used


def test_every_key_the_page_uses_is_translated() -> None:
    used = _used_keys()
    assert len(used) > 50  # the pattern still finds the page's calls
    for lang in ("en", "es"):
        cat = _catalogue(lang)
        missing = {k: f for k, f in used.items() if k not in cat}
        assert not missing, f"{lang}.json lacks {missing}"


def test_catalogues_agree() -> None:
    en, es = _catalogue("en"), _catalogue("es")
    assert sorted(set(en) - set(es)) == [], "in en.json only"
    assert sorted(set(es) - set(en)) == [], "in es.json only"
    for key, text in en.items():
        assert isinstance(text, str) and text.strip(), key
        assert isinstance(es[key], str) and es[key].strip(), key
        wanted = set(_PLACEHOLDER.findall(text))
        got = set(_PLACEHOLDER.findall(es[key]))
        assert wanted <= got, f"{key}: es lacks {sorted(wanted - got)}"
        assert got <= wanted, f"{key}: es has unknown {sorted(got - wanted)}"
