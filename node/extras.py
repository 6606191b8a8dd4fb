"""Optional parts of the install (issue 18.8): a node runs on the core
packages alone; radios and paper need extras, and a command that needs one
asks for it by name instead of failing on an import.

    pip install 'caracol[paper]'   QR codes, scanning photos and PDFs (segno, zxing-cpp, pillow)
    pip install 'caracol[mesh]'    radios: Meshtastic, Reticulum/LXMF, KISS TNCs, the LoRa simulator
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import NodeError

WHAT = {
    "paper": "printing and scanning paper (QR codes, photos, PDFs)",
    "mesh": "radios (Meshtastic, Reticulum, KISS TNCs)",
}


class MissingExtra(NodeError):
    """A command needs an optional part of the install that is not there."""

    code = "missing_extra"

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this needs the '{extra}' extra, for {WHAT[extra]} ({module} is not installed): "
            f"pip install 'caracol[{extra}]', or scripts/setup --{extra}"
        )
        self.extra = extra


def need(module: str, extra: str) -> ModuleType:
    """``import module``, or ``MissingExtra`` naming the extra that has it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra, module.split(".", maxsplit=1)[0]) from None
