"""One long-lived Node.js harness (interop/js/harness.mjs) per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from interop.runner import Harness, js_harness_command


@pytest.fixture(scope="session")
def js() -> Iterator[Harness]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (scripts/setup installs Debian nodejs)")
    with Harness(js_harness_command()) as h:
        yield h


@pytest.fixture(scope="session")
def js_noble() -> Iterator[Harness]:
    """The same harness forced onto the @noble fallback (no WebCrypto)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (scripts/setup installs Debian nodejs)")
    with Harness(js_harness_command(noble=True)) as h:
        yield h
