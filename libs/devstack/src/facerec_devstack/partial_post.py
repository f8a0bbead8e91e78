"""A POST whose body is only partly sent: what HTTP client libraries do not let a test do.

It shows whether a server answers before it has read the whole body (an early refusal), and
what it does with a client that goes away mid-upload.
"""

from __future__ import annotations

import socket


def partial_post(
    host: str,
    port: int,
    path: str,
    body: bytes,
    sent: int,
    timeout_s: float = 30,
    headers: dict[str, str] | None = None,
) -> socket.socket:
    """A connection that announced `body` whole (Content-Length) but sent only its first `sent` bytes."""
    conn = socket.create_connection((host, port), timeout=timeout_s)
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode()
    conn.sendall(head + body[:sent])
    return conn


def answer_head(conn: socket.socket) -> bytes:
    """The answer's status line and headers; a socket timeout if none comes in time."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        received = conn.recv(65536)
        if not received:
            raise ConnectionError(f"closed without an answer (got {answer[:200]!r})")
        answer += received
    return answer
