"""``caracol key`` as a member uses it (spec/keys.md): create a keystore,
show its key without the passphrase, unlock it, check a key text.

Operating-system errors (a missing folder, a directory given as the
keystore) are one-line "caracol key: ..." messages, never tracebacks.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from protocol.keys import key_from_text

PASS = "correct horse battery staple"


def caracol_key(*args: str, cwd: Path, passphrase: str = PASS) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CARACOL_PASSPHRASE": passphrase}
    return subprocess.run(
        [sys.executable, "-m", "node", "key", *args],
        cwd=cwd,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_new_show_unlock_parse(tmp_path: Path) -> None:
    r = caracol_key("new", "--keystore", "ana.key", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = r.stdout.strip()
    key = key_from_text(text)
    assert stat.S_IMODE((tmp_path / "ana.key").stat().st_mode) == 0o600

    shown = caracol_key("show", "--keystore", "ana.key", cwd=tmp_path, passphrase="unused")
    assert shown.returncode == 0 and shown.stdout.strip() == text

    ok = caracol_key("unlock", "--keystore", "ana.key", cwd=tmp_path)
    assert ok.returncode == 0 and text in ok.stdout

    wrong = caracol_key("unlock", "--keystore", "ana.key", cwd=tmp_path, passphrase="wrong")
    assert wrong.returncode == 1
    assert "wrong passphrase" in wrong.stderr and "Traceback" not in wrong.stderr

    parsed = caracol_key("parse", text, cwd=tmp_path)
    assert parsed.returncode == 0 and parsed.stdout.strip() == key.hex()


def test_refusals_say_what_to_do(tmp_path: Path) -> None:
    assert caracol_key("new", "--keystore", "k", cwd=tmp_path).returncode == 0
    again = caracol_key("new", "--keystore", "k", cwd=tmp_path)
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    os.chmod(tmp_path / "k", 0o640)
    shown = caracol_key("show", "--keystore", "k", cwd=tmp_path)
    assert shown.returncode == 1 and "chmod 600" in shown.stderr
    empty = caracol_key("new", "--keystore", "e", cwd=tmp_path, passphrase="")
    assert empty.returncode == 1 and "empty passphrase" in empty.stderr
    assert not (tmp_path / "e").exists()


def test_a_mistyped_key_text_is_named(tmp_path: Path) -> None:
    good = "ck1hnvcppgow2sc2yvdvdicu3ynonsteflxdxrehjr2ybekdc2z3iuvb4i34a"
    typo = good[:20] + ("b" if good[20] != "b" else "c") + good[21:]
    r = caracol_key("parse", typo, cwd=tmp_path)
    assert r.returncode == 1
    assert "checksum mismatch: a character is mistyped" in r.stderr


def test_new_in_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    r = caracol_key("new", "--keystore", "no/such/dir/k", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_show_on_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o700)
    r = caracol_key("show", "--keystore", str(d), cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
