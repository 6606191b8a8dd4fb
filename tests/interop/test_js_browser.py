"""The JS core in Debian's headless Chromium, loaded the way the page loads
it: ``/core/index.js`` and its dependencies from ``/vendor/`` (exactly the
node_modules files interop/js/README.md lists, nothing else is served),
with WebCrypto and with ``crypto.subtle`` removed (a page over plain HTTP).

The page posts its results back to the test's server on 127.0.0.1; the
test compares them with the Python reference.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nacl.bindings
import pytest

from protocol import envelope, keystore
from protocol.kinds import Choice, Vote

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "interop" / "js" / "core"
MODULES = ROOT / "node_modules"
# interop/js/README.md, "the files the browser needs under /vendor/" (ESM builds)
VENDOR_FILES = (
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
)
SEED = bytes(range(32))
BODY = bytes([7]) * 32
SUBJECT = bytes([9]) * 32
PARENT = bytes([5]) * 32
LIMITS = {"opslimit": 1, "memlimit": 64 * 1024}
SALT, NONCE = bytes([1]) * 16, bytes([2]) * 24

PAGE = """<!doctype html><meta charset="utf-8"><title>core</title>
<script type="module">
const report = (r) => fetch("/result", {method: "POST", body: JSON.stringify(r)});
try {
  if (NOBLE) {
    const bare = {getRandomValues: (a) => crypto.getRandomValues(a)};
    Object.defineProperty(window, "crypto", {value: bare, configurable: true});
  }
  const core = await import("/core/index.js");
  await core.init();
  const seed = core.unhex(CASE.seed), body = core.unhex(CASE.body);
  const signed = await core.signMessage(seed, body, core.KIND.vote,
      core.payloads.vote(core.unhex(CASE.subject), core.CHOICE.for),
      {parents: [core.unhex(CASE.parent)], seq: 3, time: 1790000000});
  const fields = await core.decodeMessage(signed.raw, body);
  const sealed = await core.sealKeystore(seed, "contraseña", {...CASE.limits,
      salt: core.unhex(CASE.salt), nonce: core.unhex(CASE.nonce)});
  const opened = await core.unsealKeystore(core.unhex(CASE.python_keystore), "contraseña");
  let wrong = null;
  try { await core.unsealKeystore(core.unhex(CASE.python_keystore), "contrasena"); }
  catch (e) { wrong = [e.code, e.reason]; }
  const ops = core.editToOps([[CASE.body, 0, "hello world", false]], "hello, world");
  report({
    subtle: !!globalThis.crypto.subtle, noble: core.usingNoble(),
    public_key: core.hex(await core.publicKey(seed)),
    key_text: core.keyToText(await core.publicKey(seed)),
    raw: core.hex(signed.raw), id: core.hex(signed.id), fields,
    keystore: core.hex(sealed), opened: core.hex(opened), wrong,
    ops: ops.map((o) => o[0] === 0 ? [0, [core.hex(o[1][0]), o[1][1]],
                                         [core.hex(o[2][0]), o[2][1]], o[3]] : o),
  });
} catch (e) {
  report({error: String(e && e.stack || e)});
}
</script>"""


class _Server(ThreadingHTTPServer):
    result: dict[str, Any] | None
    page: bytes
    got: threading.Event
    served: set[str]


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/test.html":
            return self._send(200, "text/html; charset=utf-8", self.server.page)
        file: Path | None = None
        if path.startswith("/core/"):
            file = CORE / path.removeprefix("/core/")
        elif path.removeprefix("/vendor/") in VENDOR_FILES:
            file = MODULES / path.removeprefix("/vendor/")
        if file is None or not file.is_file() or ".." in path:
            return self._send(404, "text/plain", b"not served")
        self.server.served.add(path)
        self._send(200, "text/javascript; charset=utf-8", file.read_bytes())

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length", 0))
        self.server.result = json.loads(self.rfile.read(n))
        self._send(200, "text/plain", b"ok")
        self.server.got.set()

    def _send(self, status: int, ctype: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[_Server]:
    if not all((MODULES / f).is_file() for f in VENDOR_FILES):
        pytest.skip("node_modules is not installed (run scripts/setup)")
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.result, srv.got, srv.served = None, threading.Event(), set()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _run_page(srv: _Server, *, noble: bool) -> dict[str, Any]:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("chromium is not installed (scripts/setup --test)")
    case = {
        "seed": SEED.hex(),
        "body": BODY.hex(),
        "subject": SUBJECT.hex(),
        "parent": PARENT.hex(),
        "limits": LIMITS,
        "salt": SALT.hex(),
        "nonce": NONCE.hex(),
        "python_keystore": keystore.seal(
            SEED, "contraseña", salt=SALT, nonce=NONCE, **LIMITS
        ).hex(),
    }
    srv.page = (
        PAGE.replace("NOBLE", "true" if noble else "false")
        .replace("CASE", json.dumps(case))
        .encode()
    )
    port = srv.server_address[1]
    with tempfile.TemporaryDirectory(
        prefix="caracol-chromium-", ignore_cleanup_errors=True
    ) as profile:
        proc = subprocess.Popen(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"http://127.0.0.1:{port}/test.html",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its renderers in one process group, ended together
        )
        try:
            got = srv.got.wait(timeout=90)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert got, "the page did not report within 90 s"
    assert srv.result is not None
    assert "error" not in srv.result, srv.result["error"]
    return srv.result


@pytest.mark.parametrize("noble", [False, True], ids=["webcrypto", "no-subtle"])
def test_core_runs_in_chromium_from_core_and_vendor(server: _Server, noble: bool) -> None:
    r = _run_page(server, noble=noble)
    assert (r["subtle"], r["noble"]) == (not noble, noble)
    public = nacl.bindings.crypto_sign_seed_keypair(SEED)[0]
    assert r["public_key"] == public.hex()
    env = envelope.sign(
        SEED, BODY, Vote(SUBJECT, Choice.FOR), parents=[PARENT], seq=3, time=1790000000
    )
    assert (r["raw"], r["id"]) == (env.raw.hex(), env.id.hex())
    assert r["fields"] == envelope.fields_of(env)
    assert (
        r["keystore"] == keystore.seal(SEED, "contraseña", salt=SALT, nonce=NONCE, **LIMITS).hex()
    )
    assert r["opened"] == SEED.hex()
    assert r["wrong"] == ["keystore", "wrong passphrase, or the keystore file is damaged"]
    assert r["ops"] == [[0, [BODY.hex(), 4], [BODY.hex(), 5], ","]]
    assert r["key_text"].startswith("ck1") and len(r["key_text"]) == 61
    # the page needed the README's vendor files (noble's only without subtle)
    assert "/vendor/hash-wasm/dist/index.esm.js" in server.served
    assert "/vendor/@noble/ciphers/salsa.js" in server.served
