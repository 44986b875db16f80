"""Run `libya-qa ARGS` inside a private network and PID namespace, recording every listening socket.

Used by the Ray tests (and usable by hand): `unshare --net --pid --fork --mount-proc python
tests/ray_sandbox.py index --engine ray`. Inside, only `lo` exists, so Ray cannot reach or be reached
from another address; the process is PID 1 of its namespace, so every Ray process it started ends
with it, and no other Ray on the machine is touched. The last stdout line is JSON:
{"exit": code, "listening": ["127.0.0.1:port", ...]}.
"""

from __future__ import annotations

import fcntl
import json
import socket
import struct
import sys
import threading
from pathlib import Path

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
TCP_LISTEN = "0A"


def loopback_up() -> None:
    """Bring `lo` up (a new network namespace starts with it down); same as `ip link set lo up`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _address(hex_address: str) -> str:
    """'0100007F:1F90' (or its IPv6 form) from /proc/net/tcp* as 'host:port'."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        text = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # four little-endian 32-bit words
        text = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
    return f"{text}:{int(port, 16)}"


def listening() -> set[str]:
    """Every TCP socket listening in this network namespace, as host:port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == TCP_LISTEN:
                found.add(_address(fields[1]))
    return found


def main(argv: list[str]) -> int:
    """Run the CLI while sampling listening sockets every 0.2 s; print them and the exit code."""
    loopback_up()
    seen: set[str] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            seen.update(listening())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from libya_qa.cli import main as cli

    try:
        code = cli(argv)
    finally:
        done.set()
        sampler.join()
    print(json.dumps({"exit": code, "listening": sorted(seen)}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
