"""Regenerate the field tables in spec/kinds.md from protocol/kinds.py.

    .venv/bin/python spec/gen_kinds.py          # rewrite
    .venv/bin/python spec/gen_kinds.py --check  # exit 1 if stale

Only the part between the BEGIN/END GENERATED markers is rewritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from protocol.kinds import PAYLOADS, Kind

DOC = Path(__file__).resolve().parent / "kinds.md"
BEGIN = "<!-- BEGIN GENERATED: do not edit; run spec/gen_kinds.py -->"
END = "<!-- END GENERATED -->"


def tables() -> str:
    out = [BEGIN, ""]
    for kind, cls in sorted(PAYLOADS.items()):
        name = Kind(kind).name.lower()
        doc = " ".join((cls.__doc__ or "").split())
        out.append(f"### {kind} `{name}`")
        out.append("")
        if doc:
            out.append(doc)
            out.append("")
        out.append("| # | field | type |")
        out.append("| --- | --- | --- |")
        for i, (field, ftype) in enumerate(cls.SCHEMA):
            described = ftype.describe().replace("|", "\\|")
            out.append(f"| {i} | `{field}` | {described} |")
        out.append("")
    out.append(END)
    return "\n".join(out)


def render(current: str) -> str:
    start = current.index(BEGIN)
    end = current.index(END) + len(END)
    return current[:start] + tables() + current[end:]


if __name__ == "__main__":
    text = DOC.read_text()
    new = render(text)
    if "--check" in sys.argv:
        sys.exit(0 if new == text else 1)
    DOC.write_text(new)
    print(f"wrote {DOC}")
