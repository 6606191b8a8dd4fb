"""A harness that lies about where inputs are wrong, for the runner to catch.

    python tests/interop/lying_harness.py offset   every error's offset becomes 999
    python tests/interop/lying_harness.py field    every error loses its field
    python tests/interop/lying_harness.py hello    hello claims protocol 1
    python tests/interop/lying_harness.py bad_line_id   a line that is not a
                                                   request object gets no id
    python tests/interop/lying_harness.py bad_request   an unknown op gets
                                                   "unknown_op", not bad_request
    python tests/interop/lying_harness.py die      exits at its first text_replay
    python tests/interop/lying_harness.py hang     stops answering at its first
                                                   text_replay (reads on, exits at EOF)
    python tests/interop/lying_harness.py no_dag   lists dag_replay in hello but
                                                   answers it as an unknown op

It wraps the real reference harness (``python -m interop``) and rewrites
each answer that has ``"ok": false``; everything else passes unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def lie(line: str, answer: dict[str, Any], how: str) -> dict[str, Any]:
    if how == "no_dag" and '"dag_replay"' in line:
        return {"id": answer.get("id"), "ok": False, "error": "bad_request", "reason": "unknown op"}
    if how == "hello":
        return {**answer, "protocol": 1} if "implementation" in answer else answer
    if how == "bad_line_id":
        return (
            answer
            if answer.get("id") is not None
            else {k: v for k, v in answer.items() if k != "id"}
        )
    if how == "bad_request":
        return {**answer, "error": "unknown_op"} if "no_such_op" in line else answer
    if answer.get("ok") is not False:
        return answer
    if how == "offset":
        return {**answer, "offset": 999}
    return {k: v for k, v in answer.items() if k != "field"}


def main() -> None:
    how = sys.argv[1]
    real = subprocess.Popen(
        [sys.executable, "-m", "interop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert real.stdin is not None and real.stdout is not None
    hanging = False
    for line in sys.stdin:
        if not line.strip():
            continue
        if how == "die" and '"text_replay"' in line:
            sys.exit(3)
        if how == "hang" and '"text_replay"' in line:
            hanging = True
        if hanging:
            continue
        real.stdin.write(line)
        real.stdin.flush()
        answer = json.loads(real.stdout.readline())
        sys.stdout.write(json.dumps(lie(line, answer, how)) + "\n")
        sys.stdout.flush()
    real.stdin.close()
    real.wait()


if __name__ == "__main__":
    main()
