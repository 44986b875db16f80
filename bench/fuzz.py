"""Schema fuzzing of a served `libya-qa serve` (schemathesis CLI), with and without the admin token.

Every operation of the app's own /openapi.json gets --examples generated requests per mode
(positive and negative data; the examples, fuzzing and stateful phases: the coverage phase stops on
an internal schemathesis error, "AST constructor recursion depth mismatch", under Python 3.11), all checks
on except "schema-valid data is accepted"
(JSON Schema's integer admits 4.0, which /ask refuses on purpose). A 413 counts as a rejection.
Reports requests sent, server errors and every other failed check. Only 127.0.0.1.

Run: nice -n 10 .venv/bin/python bench/fuzz.py --examples 500      (about 10 minutes)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, PYTHON, RESULTS, serve, table, write_results  # noqa: E402
from load import build_index_copy  # noqa: E402

TOKEN = "fuzz-token"
CONFIG = """
[checks]
positive_data_acceptance.enabled = false
negative_data_rejection.expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422]
"""


def fuzz(url: str, examples: int, token: str | None, folder: Path) -> dict[str, Any]:
    """One schemathesis run; its counts from the NDJSON event stream."""
    config = folder / "schemathesis.toml"
    config.write_text(CONFIG, "utf-8")
    events = folder / f"events-{'token' if token else 'anonymous'}.ndjson"
    command = [
        str(PYTHON.parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{url}/openapi.json",
        "-n",
        str(examples),
        "--continue-on-failure",
        "--phases",
        "examples,fuzzing,stateful",
        "--seed",
        "13",
        "--workers",
        "2",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(events),
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"fuzz-{'token' if token else 'anonymous'}.txt").write_text(done.stdout, "utf-8")  # every failure
    failed = {name: int(n) for name, n in re.findall(r"(ST\d+ [^:\n]+): (\d+)", done.stdout)}
    return {
        "token": bool(token),
        **count(events),
        "failed_checks": failed,
        "seconds": round(time.perf_counter() - started),
        "exit": done.returncode,
        "summary": done.stdout.strip().splitlines()[-60:],
    }


def count(events: Path) -> dict[str, Any]:
    """Responses by status and server errors, read from the NDJSON report."""
    statuses: dict[int, int] = {}
    for line in events.read_text("utf-8").splitlines():
        for status in _statuses(line):
            statuses[status] = statuses.get(status, 0) + 1
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    return {"responses": sum(statuses.values()), "server_errors": server_errors, "statuses": statuses}


def _statuses(text: str) -> list[int]:
    """Every response status in one NDJSON event."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("status_code"), int) and "elapsed" in node:
                found.append(node["status_code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per operation and generation mode")
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    parser.add_argument("--modes", default="anonymous,token", help="without and/or with the admin token")
    args = parser.parse_args()
    corpus, index = build_index_copy(args.corpus)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-fuzz-") as tmp,
        serve(index, corpus, threads=1, extra_env={"LIBYA_QA_ADMIN_TOKEN": TOKEN}) as server,
    ):
        for token in [None if mode == "anonymous" else TOKEN for mode in args.modes.split(",")]:
            rows.append(fuzz(server.url, args.examples, token, Path(tmp)))
            print("\n".join(rows[-1]["summary"]), flush=True)
    print(table([{k: v for k, v in r.items() if k not in ("summary", "statuses")} for r in rows], title="\nfuzzing"))
    write_results("fuzz", {"examples": args.examples, "runs": rows})


if __name__ == "__main__":
    main()
