"""Config files: defaults, round trip, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import Config, Peer, load, parse, render, save, with_peer, without_peer
from node.errors import ConfigError

KEY = "ck1g3rhz7snwstmhzrxvkzqvhwaq6xp7baj3rpr5dxiv2yhwvmgh6kntq25im"


def test_minimal_config_takes_defaults_and_resolves_paths(tmp_path: Path) -> None:
    c = parse('[node]\ndata_dir = "data"\n', base=tmp_path)
    assert c.data_dir == tmp_path / "data"
    assert c.listen_port == 8470 and c.peers == ()
    assert c.database == tmp_path / "data" / "caracol.sqlite3"


def test_render_then_parse_is_identity(tmp_path: Path) -> None:
    c = Config(data_dir=tmp_path / "d", listen_port=9000, bodies=("ab" * 32,))
    c = with_peer(c, Peer("north", "http://127.0.0.1:9001", KEY))
    assert parse(render(c), base=tmp_path) == c
    assert without_peer(c, "north").peers == ()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[node]\ndata_dir = "d"\nlisten_prot = 1\n', "node.listen_prot"),
        ('[node]\ndata_dir = "d"\nlisten_port = 70000\n', "node.listen_port"),
        ('[node]\ndata_dir = "d"\nbodies = ["zz"]\n', "node.bodies"),
        ('[node]\nname = "x"\n', "node.data_dir"),
        ('[node]\ndata_dir = "d"\n[log]\nlevel = "loud"\n', "log.level"),
        (
            '[node]\ndata_dir = "d"\n[[peers]]\nname = "a"\nurl = "ftp://x"\nnode_key = "k"\n',
            "peers[0].url",
        ),
        ('[node]\ndata_dir = "d"\n[[peers]]\nname = "a"\nurl = "http://x"\n', "peers[0].node_key"),
        (
            f'[node]\ndata_dir = "d"\n[[peers]]\nname = "a"\nurl = "notaurl"\nnode_key = "{KEY}"\n',
            "peers[0].url",
        ),
        (
            '[node]\ndata_dir = "d"\n[[peers]]\nname = "a"\nurl = "http://x:port"\n'
            f'node_key = "{KEY}"\n',
            "peers[0].url",
        ),
        (
            '[node]\ndata_dir = "d"\n[[peers]]\nname = "a"\nurl = "http://x"\nnode_key = "k"\n',
            "peers[0].node_key",
        ),
    ],
)
def test_errors_name_the_bad_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, base=tmp_path)
    assert info.value.key == key
    assert key in str(info.value)


def test_a_bad_file_names_itself_its_key_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[node]\ndata_dir = "d"\nlisten_port = 70000\n')
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "c.toml")
    assert str(info.value).startswith(f"{tmp_path / 'c.toml'}: node.listen_port: ")
    assert f"(edit node.listen_port in {tmp_path / 'c.toml'} to fix it)" in str(info.value)


def test_save_writes_only_what_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    good = Config(data_dir=tmp_path / "d")
    save(path, good)
    assert load(path) == good
    with pytest.raises(ConfigError, match=r"peers\[0\]\.url"):
        save(path, with_peer(good, Peer("a", "notaurl", KEY)))
    with pytest.raises(ConfigError, match=r"node\.listen_port"):
        save(path, Config(data_dir=tmp_path / "d", listen_port=70000))
    assert load(path) == good


def test_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="caracol init"):
        load(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[node\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(tmp_path / "bad.toml")
