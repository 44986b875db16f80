"""The served app over real sockets: slow clients are timed out, connections are bounded."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import uvicorn

from libya_qa.api.server import server_config
from libya_qa.app import create_app
from libya_qa.config import Settings
from libya_qa.encoders import HashingEncoder
from libya_qa.qa import QA


@pytest.fixture()
def address(tiny_settings: Settings) -> Iterator[tuple[str, int]]:
    """The app served by uvicorn in a thread, with short header and body timeouts and 8 connections at most."""
    settings = replace(tiny_settings, header_timeout=0.3, body_timeout=0.3, max_connections=8)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        server_config(
            create_app(settings, QA(settings, HashingEncoder())), settings, "127.0.0.1", port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (bounded by a generous socket timeout)."""
    sock.settimeout(20)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_client_that_never_finishes_its_headers_is_disconnected(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # slowloris: the headers never end
        assert read_all(sock) == b""  # closed by the server, not by the 20 s socket timeout


def test_a_silent_connection_is_disconnected(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as sock:
        assert read_all(sock) == b""


def test_a_body_that_never_arrives_is_a_408(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as sock:
        sock.sendall(
            b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"question":'
        )
        reply = read_all(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body)["error"]["code"] == "request_timeout"


def test_a_normal_request_still_works_beside_slow_ones(address: tuple[str, int]) -> None:
    slow = [socket.create_connection(address) for _ in range(4)]
    try:
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\n")
        with socket.create_connection(address) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_all(sock).startswith(b"HTTP/1.1 200")
    finally:
        for sock in slow:
            sock.close()
