"""Regenerate the stage tables of spec/process.md from protocol/stages.py.

    .venv/bin/python spec/gen_process_table.py          # rewrite
    .venv/bin/python spec/gen_process_table.py --check  # exit 1 if stale

Only the part between the BEGIN/END GENERATED markers is rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from protocol.stages import render_markdown

DOC = Path(__file__).resolve().parent / "process.md"
BEGIN = "<!-- BEGIN GENERATED: do not edit; run spec/gen_process_table.py -->"
END = "<!-- END GENERATED -->"


def render(current: str) -> str:
    start = current.index(BEGIN)
    end = current.index(END) + len(END)
    return current[:start] + BEGIN + "\n\n" + render_markdown() + "\n\n" + END + current[end:]


if __name__ == "__main__":
    text = DOC.read_text()
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    DOC.write_text(new)
    print(f"wrote {DOC}")
