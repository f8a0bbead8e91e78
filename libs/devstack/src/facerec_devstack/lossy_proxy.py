"""A TCP proxy that loses answers: what a client sees when a connection drops after its request
reached the server (a proxy's timeout, a network cut) and the server acted on it."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class AnswerLosingProxy:
    """Forwards connections to `target` on a port of its own; the first `lose` of them are cut as
    soon as the server starts answering, so their client never gets the answer."""

    def __init__(self, target: tuple[str, int], lose: int = 1) -> None:
        self._target = target
        self._lose = lose
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> AnswerLosingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _cut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                losing, self._lose = self._lose > 0, self._lose - 1
                upstream = socket.create_connection(self._target)
                self._sockets += [client, upstream]
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answer, args=(upstream, client, losing), daemon=True).start()

    def _answer(self, upstream: socket.socket, client: socket.socket, losing: bool) -> None:
        if losing:
            with contextlib.suppress(OSError):
                upstream.recv(1)  # the server has acted and begins its answer
            _cut(client)
            _cut(upstream)
            return
        _pump(upstream, client)


def _cut(sock: socket.socket) -> None:
    # shutdown first: a close alone neither wakes a thread blocked reading it nor tells the peer.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(1 << 16):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
