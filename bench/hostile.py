"""Resident memory of `libya-qa serve` under hostile unauthenticated input, against its idle level.

Attacks, each for a bounded time or count, all on 127.0.0.1 and without the admin token:
huge announced bodies, endless chunked bodies (to /ask and to the admin upload), /ask bodies at the
limit with a full history, deeply nested JSON, oversized headers and query strings, forms, and 200
slowloris connections. The server's VmRSS is sampled every 100 ms throughout; the figure is the
peak above the idle level (target: under 100 MB), and what stays held afterwards.

Run: nice -n 10 .venv/bin/python bench/hostile.py     (about 2 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FOUNDING_CORPUS, rss_bytes, serve, table, write_results  # noqa: E402
from load import build_index_copy  # noqa: E402

MB = 2**20


async def raw(port: int, head: bytes, body_chunks: int = 0, chunk: bytes = b"", chunked: bool = False) -> bytes:
    """Send a request by hand (headers, then body chunks until the server stops reading); the reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    reply = asyncio.create_task(reader.read(2000))  # read while sending: a 413 comes before the body ends
    try:
        writer.write(head)
        for _ in range(body_chunks):
            if reply.done():
                break
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            await asyncio.wait_for(writer.drain(), 5)
    except (ConnectionError, TimeoutError):
        pass
    try:
        return await asyncio.wait_for(reply, 15)
    except (ConnectionError, TimeoutError):
        return b""
    finally:
        writer.close()


def post(path: str, length: int | None, content_type: str = "application/json") -> bytes:
    """Request headers for a POST with a Content-Length, or chunked when length is None."""
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n{size}\r\n\r\n".encode()


async def attacks(port: int, url: str) -> dict[str, Any]:
    """Run every attack; the status lines seen per attack."""
    import httpx

    seen: dict[str, Any] = {}
    history = b'"' + b"x" * 1000 + b'"'
    big = 100 * MB
    seen["announced 100 MB /ask x8"] = await asyncio.gather(
        *[
            raw(port, post("/ask", big) + b'{"question": "q", "history": [', 50, (history + b",") * 100)
            for _ in range(8)
        ]
    )
    seen["chunked 100 MB /ask x8"] = await asyncio.gather(
        *[raw(port, post("/ask", None), 100, (history + b",") * 1000, chunked=True) for _ in range(8)]
    )
    seen["chunked 30 MB upload, no token x8"] = await asyncio.gather(
        *[raw(port, post("/sources", None), 30, b"x" * MB, chunked=True) for _ in range(8)]
    )
    seen["announced 100 MB multipart, no token x8"] = await asyncio.gather(
        *[raw(port, post("/sources", big, "multipart/form-data; boundary=b"), 30, b"x" * MB) for _ in range(8)]
    )
    nested = b"[" * 15000 + b"]" * 15000
    full = json.dumps({"question": "Who backed Haftar?", "history": ["w" * 1400] * 20}).encode()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def burst(name: str, n: int, make: Any) -> None:
            responses = await asyncio.gather(*[make() for _ in range(n)], return_exceptions=True)
            seen[name] = sorted({getattr(r, "status_code", type(r).__name__) for r in responses}, key=str)

        await burst(
            "nested JSON x32",
            32,
            lambda: client.post("/ask", content=nested, headers={"content-type": "application/json"}),
        )
        for _ in range(10):
            await burst(
                "full history at the limit x32 (x10)",
                32,
                lambda: client.post("/ask", content=full, headers={"content-type": "application/json"}),
            )
        await burst("64 KB header x32", 32, lambda: client.get("/healthz", headers={"X-Big": "h" * 65536}))
        await burst("8 KB query x32", 32, lambda: client.get("/", params={"q": "Haftar", "h": ["x" * 400] * 20}))
        await burst("form at the limit x32", 32, lambda: client.post("/", data={"question": "q" * 15000}))
    slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(200)]
    for _, writer in slow:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    await asyncio.sleep(12)  # past the 10 s header timeout
    closed = sum(1 for reader, _ in slow if reader.at_eof() or reader._transport.is_closing())  # type: ignore[attr-defined]
    for _, writer in slow:
        writer.close()
    seen["slowloris x200, closed by the server after 12 s"] = closed
    return {
        k: (
            sorted({r.split(b"\r\n")[0].decode(errors="replace") for r in v})
            if isinstance(v, list) and v and isinstance(v[0], bytes)
            else v
        )
        for k, v in seen.items()
    }


async def run(port: int, url: str, pid: int) -> dict[str, Any]:
    """Sample memory while the attacks run."""
    samples: list[int] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append(rss_bytes(pid)["VmRSS"])
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    seen = await attacks(port, url)
    done.set()
    await sampler
    return {"seen": seen, "peak_rss": max(samples), "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=FOUNDING_CORPUS)
    args = parser.parse_args()
    corpus, index = build_index_copy(args.corpus)
    with serve(index, corpus, threads=1) as server:
        import httpx

        for _ in range(20):  # warm: the model and the page have run once
            httpx.post(f"{server.url}/ask", json={"question": "Who backed Haftar?"}, timeout=30)
            httpx.get(f"{server.url}/", params={"q": "Who backed Haftar?"}, timeout=30)
        time.sleep(1)
        idle = rss_bytes(server.pid)["VmRSS"]
        result = asyncio.run(run(server.port, server.url, server.pid))
        time.sleep(2)
        after = rss_bytes(server.pid)["VmRSS"]
        alive = httpx.get(f"{server.url}/healthz", timeout=30).status_code
    row = {
        "idle_mb": round(idle / MB, 1),
        "peak_mb": round(result["peak_rss"] / MB, 1),
        "peak_above_idle_mb": round((result["peak_rss"] - idle) / MB, 1),
        "held_after_mb": round((after - idle) / MB, 1),
        "healthz_after": alive,
        "seconds": result["seconds"],
    }
    print(table([{"attack": k, "responses": str(v)} for k, v in result["seen"].items()], title="attacks"))
    print(table([row], title="\nresident memory"))
    write_results("hostile", {**row, "responses": result["seen"]})


if __name__ == "__main__":
    main()
