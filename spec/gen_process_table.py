"""Regenerate the stage tables of spec/process.md from protocol/stages.py
and the constitution parameter table from protocol/rules.py.

    .venv/bin/python spec/gen_process_table.py          # rewrite
    .venv/bin/python spec/gen_process_table.py --check  # exit 1 if stale

Only the parts between the BEGIN/END GENERATED markers are rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from protocol.rules import PARAMETERS, ProcessRules, to_params
from protocol.stages import render_markdown

DOC = Path(__file__).resolve().parent / "process.md"
BEGIN = "<!-- BEGIN GENERATED: do not edit; run spec/gen_process_table.py -->"
END = "<!-- END GENERATED -->"
PBEGIN = "<!-- BEGIN GENERATED PARAMETERS: do not edit; run spec/gen_process_table.py -->"
PEND = "<!-- END GENERATED PARAMETERS -->"


def parameters() -> str:
    defaults = {n: (num, den) for n, num, den in to_params(ProcessRules())}
    out = ["| # | rule | kind | bounds | default |", "| --- | --- | --- | --- | --- |"]
    for number, (name, kind, low, high) in sorted(PARAMETERS.items()):
        num, den = defaults[number]
        default = f"{num}/{den}" if den != 1 else str(num)
        out.append(f"| {number} | `{name}` | {kind} | {low} .. {high} | {default} |")
    return "\n".join(out)


def _between(text: str, begin: str, end: str, body: str) -> str:
    start = text.index(begin)
    stop = text.index(end) + len(end)
    return text[:start] + begin + "\n\n" + body + "\n\n" + end + text[stop:]


def render(current: str) -> str:
    text = _between(current, BEGIN, END, render_markdown())
    return _between(text, PBEGIN, PEND, parameters())


if __name__ == "__main__":
    text = DOC.read_text()
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    DOC.write_text(new)
    print(f"wrote {DOC}")
