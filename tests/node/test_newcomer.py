"""Issue 18.7, a newcomer who never sees a traceback: ``caracol`` as a new
user runs it (subprocesses of ``python -m node``), each mistake ending in
exactly one line on stderr that names the flag, file or key, a non-zero
exit, and no Python traceback."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from node.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
BODY = "9d" * 32  # a well-formed body id no node here holds
KEY = "ck1g3rhz7snwstmhzrxvkzqvhwaq6xp7baj3rpr5dxiv2yhwvmgh6kntq25im"
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "CARACOL_PASSPHRASE": "correct horse battery staple",
    "CARACOL_NODE": "http://127.0.0.1:9",  # nothing listens there
}


def caracol(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the tests read returncode
        [sys.executable, "-m", "node", *args],
        cwd=cwd,
        env=env or ENV,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(*args: str, cwd: Path) -> str:
    r = caracol(*args, cwd=cwd)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command wrote on stderr."""
    assert r.returncode != 0, (r.args, r.stdout)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture
def node_dir(tmp_path: Path) -> Path:
    """A folder with a member keystore and a node founding a Community
    (``caracol.toml``, not running)."""
    ok("member", "new", "--keystore", "ana.key", cwd=tmp_path)
    ok(
        "init", "--config", "caracol.toml", "--found", "Norte", "--founder-keystore", "ana.key",
        cwd=tmp_path,
    )  # fmt: skip
    return tmp_path


def body_of(cwd: Path) -> str:
    text = (cwd / "caracol.toml").read_text()
    return text.split('bodies = ["', 1)[1][:64]


# --- configuration: validated before it is written ---------------------------


def test_peer_add_refuses_a_bad_url_and_leaves_the_config_as_it_was(node_dir: Path) -> None:
    before = (node_dir / "caracol.toml").read_bytes()
    line = one_line(caracol("peer", "add", "sur", "notaurl", KEY, cwd=node_dir))
    assert "URL 'notaurl'" in line and "http://HOST:PORT" in line
    assert (node_dir / "caracol.toml").read_bytes() == before
    assert caracol("peer", "list", cwd=node_dir).returncode == 0
    line = one_line(caracol("peer", "add", "sur", "http://192.0.2.11:8470", "ck1zz", cwd=node_dir))
    assert "NODE_KEY 'ck1zz'" in line
    assert (node_dir / "caracol.toml").read_bytes() == before
    ok("peer", "add", "sur", "http://192.0.2.11:8470", KEY, cwd=node_dir)
    assert "sur\thttp://192.0.2.11:8470" in ok("peer", "list", cwd=node_dir)


def test_a_bad_config_names_the_file_the_key_and_what_to_do(node_dir: Path) -> None:
    bad = node_dir / "caracol.toml"
    bad.write_text(
        bad.read_text() + f'\n[[peers]]\nname = "sur"\nurl = "notaurl"\nnode_key = "{KEY}"\n'
    )
    for args in (
        ("status", "--config", "caracol.toml"),
        ("peer", "list"),
        ("run", "--config", "caracol.toml"),
        ("export", "--body", body_of(node_dir), "--out", "x.bin"),
    ):
        line = one_line(caracol(*args, cwd=node_dir))
        assert "caracol.toml: peers[0].url:" in line, line
        assert "edit peers[0].url in caracol.toml" in line, line


def test_init_writes_nothing_it_could_not_read_back(tmp_path: Path) -> None:
    for args, flag in (
        (("--port", "99999"), "--port"),
        (("--name", ""), "--name"),
        (("--host", "not a host"), "--host"),
        (("--peer", f"sur=notaurl={KEY}"), "--peer"),
        (("--peer", "sur=http://192.0.2.11:8470=ck1zz"), "--peer"),
    ):
        line = one_line(caracol("init", "--config", "c.toml", *args, cwd=tmp_path))
        assert line.startswith(f"caracol init: {flag}"), line
        assert not (tmp_path / "c.toml").exists() and not (tmp_path / "c-data").exists()


# --- every id flag names itself ----------------------------------------------

BAD_IDS = [
    (("init", "--config", "x.toml", "--parent", "zz", "--found", "X"), "--parent"),
    (("init", "--config", "x.toml", "--join", "zz", "--peer", f"a=http://x:1={KEY}"), "--join"),
    (("export", "--body", "zz", "--out", "x.bin"), "--body"),
    (("export", "--body", BODY, "--since", f"{BODY},zz", "--out", "x.bin"), "--since"),
    (("card", "print", "--body", "zz", "--keystore", "ana.key", "--name", "A", "--out", "c"),
     "--body"),
    (("mesh", "bulletin", "--body", "zz", "--out", "d"), "--body"),
    (("mesh", "digest", "--body", "zz", "--node", "http://127.0.0.1:9"), "--body"),
    (("mesh", "bridge", "--body", "zz", "--node", "http://127.0.0.1:9", "--kiss", "x:1"),
     "--body"),
    (("delegate", "mandates", "--body", "zz", "--node", "http://127.0.0.1:9"), "--body"),
    (("delegate", "relay", "--from", "http://127.0.0.1:9", "--body", BODY, "--higher", "zz",
      "--resolution", BODY, "--to", "http://127.0.0.1:9"), "--higher"),
    (("delegate", "deliver", "p.bin", "--to", "http://127.0.0.1:9", "--higher", BODY,
      "--resolution", "zz"), "--resolution"),
    (("council", "found", "--community", "zz", "--resolution", "zz", "--keystore", "ana.key",
      "--name", "x"), "--community"),
    (("member", "vote", "--body", "zz", "--subject", "aa", "--choice", "for",
      "--keystore", "ana.key"), "--body"),
    (("proposals", "--body", "zz"), "--body"),
    (("init", "--config", "x.toml", "--found", "X", "--founders", f"{KEY},zz"), "--founders"),
    (("delegate", "mandates", "--body", BODY, "--delegate", "zz", "--node", "http://x:1"),
     "--delegate"),
    (("people", "--body", "zz"), "--body"),
    (("ballots", "print", "--body", "zz", "--subject", "aa", "--out", "b"), "--body"),
]  # fmt: skip


@pytest.fixture(scope="module")
def keystore_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a member keystore ``ana.key`` (and no node)."""
    d = tmp_path_factory.mktemp("keystore")
    ok("member", "new", "--keystore", "ana.key", cwd=d)
    return d


@pytest.mark.parametrize(("args", "flag"), BAD_IDS, ids=[" ".join(a[:2]) for a, _ in BAD_IDS])
def test_every_id_flag_names_itself(keystore_dir: Path, args: tuple[str, ...], flag: str) -> None:
    line = one_line(caracol(*args, cwd=keystore_dir))
    assert flag in line, line
    assert "fromhex" not in line, line


# --- caracol verify reads what caracol import reads ---------------------------


def test_verify_accepts_the_bundle_import_accepts(node_dir: Path) -> None:
    body = body_of(node_dir)
    ok("export", "--body", body, "--out", "full.bundle", "--bundle", cwd=node_dir)
    out = ok("verify", "full.bundle", cwd=node_dir)
    assert f"body {body}: 1 messages" in out and out.strip().endswith("ok")
    other = node_dir / "other"
    other.mkdir()
    ok("init", "--config", "other/c.toml", cwd=node_dir)
    assert "1 accepted" in ok("import", "full.bundle", "--config", "other/c.toml", cwd=node_dir)
    # a damaged copy is refused whole by both, with the file named by verify
    data = (node_dir / "full.bundle").read_bytes()
    (node_dir / "cut.bundle").write_bytes(data[:-5])
    assert "cut.bundle" in one_line(caracol("verify", "cut.bundle", cwd=node_dir))
    one_line(caracol("import", "cut.bundle", "--config", "other/c.toml", cwd=node_dir))


def test_verify_names_an_incremental_bundle(node_dir: Path) -> None:
    body = body_of(node_dir)
    ok("member", "new", "--keystore", "bea.key", cwd=node_dir)
    # one more message: the founder's name, signed offline and imported as a log
    from node import keyfile
    from protocol import envelope, kinds
    from protocol.keys import public_key

    seed = keyfile.read(node_dir / "ana.key", ENV["CARACOL_PASSPHRASE"])
    name = envelope.sign(
        seed, bytes.fromhex(body), kinds.Name(public_key(seed), "Ana"),
        parents=[bytes.fromhex(body)], seq=2, time=1,
    )  # fmt: skip
    from protocol import canonical

    (node_dir / "name.log").write_bytes(canonical.encode((0, bytes.fromhex(body), (name.raw,))))
    ok("import", "name.log", cwd=node_dir)
    ok("export", "--body", body, "--since", body, "--out", "inc.bundle", "--bundle", cwd=node_dir)
    r = caracol("verify", "inc.bundle", cwd=node_dir)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "PROBLEM the bundle does not start with the body's genesis" in r.stdout
    assert "1 problems" in r.stdout
    # import takes it (the node holds the earlier messages): they agree on what it is
    assert "1 duplicate" in ok("import", "inc.bundle", cwd=node_dir)


# --- the data folder is where the README says --------------------------------


def test_the_data_folder_is_named_after_the_config_as_the_readme_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    out = ok("init", "--config", "caracol.toml", cwd=tmp_path)
    assert f"data folder {tmp_path / 'caracol-data'}" in out
    assert (tmp_path / "caracol-data" / "node.seed").is_file()
    assert "caracol-data/node.seed" in readme
    out = ok("init", "--config", "norte.toml", cwd=tmp_path)
    assert f"data folder {tmp_path / 'norte-data'}" in out
    assert "`norte.toml` in `norte-data/`" in readme
    unit = (ROOT / "node" / "caracol.service").read_text()
    assert "ReadWritePaths=/home/caracol/caracol-data" in unit


# --- no traceback anywhere: every --help, and some bad values -----------------


def _actions(parser: argparse.ArgumentParser) -> list[list[str]]:
    """Every nested ACTION path under ``parser`` (``[]`` for itself)."""
    paths: list[list[str]] = [[]]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += [[name, *rest] for rest in _actions(sub)]
    return paths


def every_command() -> list[list[str]]:
    out = []
    for name, (module_name, _help, _issue) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=f"caracol {name}")
        importlib.import_module(module_name).add_arguments(parser)
        out += [[name, *path] for path in _actions(parser)]
    return out


def test_every_subcommand_has_help_and_no_traceback(tmp_path: Path) -> None:
    commands = every_command()
    assert ["member", "vote"] in commands and ["mesh", "bridge"] in commands
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda c: caracol(*c, "--help", cwd=tmp_path), commands))
    for command, r in zip(commands, runs, strict=True):
        assert r.returncode == 0, (command, r.stderr)
        assert "usage: caracol" in r.stdout and "Traceback" not in r.stderr, (command, r.stderr)


SWEEP = [
    ("status", "--node", "notaurl"),
    ("status", "--config", "missing.toml"),
    ("run", "--config", "missing.toml"),
    ("verify", "missing.bin"),
    ("import", "missing.bin"),
    ("show", "zz", "--node", "notaurl"),
    ("member", "vote", "--no-such-flag"),
    ("mesh", "airtime", "--bytes", "many"),
    ("peer", "add", "sur", "notaurl", KEY, "--config", "missing.toml"),
    ("key", "parse", "zz"),
    ("nonsense",),
]


def test_bad_values_end_in_one_line(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda a: caracol(*a, cwd=tmp_path), SWEEP))
    for args, r in zip(SWEEP, runs, strict=True):
        assert r.returncode != 0, args
        assert "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_a_prompt_without_a_terminal_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "CARACOL_PASSPHRASE"}
    line = one_line(caracol("member", "new", "--keystore", "a.key", cwd=tmp_path, env=env))
    assert "CARACOL_PASSPHRASE" in line
    ok("member", "new", "--keystore", "ana.key", cwd=tmp_path)
    line = one_line(
        caracol(
            "card", "print", "--body", BODY, "--keystore", "ana.key", "--name", "Ana",
            "--out", "card", cwd=tmp_path,
        )
    )  # fmt: skip
    assert "CARACOL_PIN" in line


def test_an_unforeseen_error_is_one_line_and_the_traceback_is_on_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug in a command is reported as one line naming CARACOL_DEBUG; with
    it set, the exception propagates (for the report)."""
    from node import cli
    from node.commands import status

    def broken(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(status, "run", broken)
    monkeypatch.delenv("CARACOL_DEBUG", raising=False)
    assert cli.main(["status", "--node", "http://127.0.0.1:9"]) == 70
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "CARACOL_DEBUG=1" in err[0]
    monkeypatch.setenv("CARACOL_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["status", "--node", "http://127.0.0.1:9"])
