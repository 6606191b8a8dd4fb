"""spec/errors.md lists every error code the sans-IO packages can report.

Codes are part of the protocol (vectors name them, implementations must
report the same ones), so a code added in code but not in the spec is a
spec bug: this test names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import crdt.errors
import crdt.log
import crdt.reconcile
import crdt.text
import protocol.verdict
from protocol import errors

SPEC = (Path(__file__).resolve().parents[2] / "spec" / "errors.md").read_text()
LISTED = set(re.findall(r"`([a-z_0-9]+)`", SPEC))


def _subclasses(root: type) -> list[type]:
    out, todo = [], [root]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


# import the modules that define codes, so their classes are registered
_MODULES = (crdt.errors, crdt.log, crdt.reconcile, crdt.text, protocol.verdict)
CLASSES = sorted(
    {
        cls
        for root in (errors.ProtocolError, crdt.errors.CrdtError)
        for cls in _subclasses(root)
        if cls.__module__.split(".")[0] in ("protocol", "crdt")
    },
    key=lambda c: (c.__module__, c.__name__),
)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_code_is_in_the_spec(cls: type) -> None:
    code = cls.code  # type: ignore[attr-defined]
    assert code in LISTED, f"{cls.__module__}.{cls.__name__}.code {code!r} is not in spec/errors.md"


def test_codes_are_unique_within_the_protocol_package() -> None:
    codes = [c.code for c in _subclasses(errors.ProtocolError)]  # type: ignore[attr-defined]
    assert len(codes) == len(set(codes))


def test_remote_and_local_errors_are_disjoint_families() -> None:
    remote = set(_subclasses(errors.RemoteProtocolError))
    local = set(_subclasses(errors.LocalProtocolError))
    assert not remote & local
    assert errors.KeystoreError not in remote | local
