"""One error base (issue 18.3): every exception a Caracol package defines is
under that package's root, every root is under ``CaracolError`` (which
carries ``code``, ``reason``, ``field`` and ``offset``), and no two packages
define exceptions of the same name, so ``except LinkClosed`` means one thing.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict
from types import ModuleType

import pytest

from crdt.errors import CrdtError
from interop.errors import InteropError
from mesh.errors import MeshError
from node.errors import ConfigError, NodeError, PeerLinkClosed
from protocol.errors import CaracolError, ProtocolError

ROOTS: dict[str, type[CaracolError]] = {
    "protocol": ProtocolError,
    "crdt": CrdtError,
    "mesh": MeshError,
    "node": NodeError,
    "interop": InteropError,
}


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    names = [package] + [
        info.name
        for info in pkgutil.walk_packages(root.__path__, package + ".")
        if not info.name.endswith("__main__")
    ]
    return [importlib.import_module(name) for name in names]


def _exceptions(package: str) -> list[type[BaseException]]:
    return [
        value
        for module in _modules(package)
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_is_under_its_packages_root(package: str) -> None:
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exceptions(package)
        if not issubclass(cls, ROOTS[package]) and cls is not CaracolError
    ]
    assert strays == [], f"outside {ROOTS[package].__name__}: {strays}"


def test_every_root_is_a_caracol_error() -> None:
    for root in ROOTS.values():
        assert issubclass(root, CaracolError)


def test_no_two_packages_define_an_exception_of_the_same_name() -> None:
    where: dict[str, set[str]] = defaultdict(set)
    for package in ROOTS:
        for cls in _exceptions(package):
            where[cls.__name__].add(package)
    assert {name: sorted(ps) for name, ps in where.items() if len(ps) > 1} == {}


def test_the_base_carries_field_and_offset_in_every_package() -> None:
    for root in ROOTS.values():
        exc = root("bad thing", field="parents[2]", offset=17)
        assert (exc.reason, exc.field, exc.offset) == ("bad thing", "parents[2]", 17)
        assert str(exc) == "bad thing (field parents[2], byte offset 17)"
    assert ConfigError("not a port", key="port").field == "port"
    link = PeerLinkClosed("malformed", "unknown frame type 'x'")
    assert (link.code, link.reason) == ("malformed", "unknown frame type 'x'")
