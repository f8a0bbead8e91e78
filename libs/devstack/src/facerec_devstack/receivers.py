"""Real receivers of camera events, for the tests and benchmarks: an HTTP server taking webhooks
(checking each signature as a user's receiver would), and a mosquitto broker with a subscriber."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from facerec_devstack.processes import free_port, terminate


@dataclass(frozen=True)
class Received:
    at: float  # time.time() on arrival
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature matched the secret

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class WebhookReceiver:
    """POSTs on http://127.0.0.1:<port>/hook, kept with whether their HMAC signature holds; it can
    be stopped and started again on the same port (a receiver down for a while)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.port = free_port()
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stamp = self.headers.get("X-Facerec-Timestamp", "")
                expected = (
                    "sha256=" + hmac.new(receiver.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                signed = hmac.compare_digest(expected, self.headers.get("X-Facerec-Signature", ""))
                with receiver._lock:
                    receiver.received.append(Received(time.time(), dict(self.headers.items()), body, signed))
                self.send_response(204 if signed else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.document for r in self.received]


class Mosquitto:
    """A mosquitto broker on a free loopback port, anonymous, and a subscriber to every topic."""

    def __init__(self, workdir: Path, binary: str) -> None:
        self.port = free_port()
        config = workdir / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self._log = (workdir / "mosquitto.log").open("wb")
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=self._log, stderr=subprocess.STDOUT)
        self.messages: list[tuple[str, bytes, bool]] = []  # topic, payload, retained
        self._lock = threading.Lock()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"facerec-test-{self.port}")
        self._client.on_message = self._message
        self._client.on_connect = lambda client, *_: client.subscribe("#", qos=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                self._client.connect("127.0.0.1", self.port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._client.loop_start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @staticmethod
    def binary() -> str | None:
        return shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)

    def _message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def retained(self, topic: str, timeout_s: float = 10) -> bytes:
        """The retained message of a topic, as a subscriber arriving now gets it."""
        got: list[bytes] = []
        reader = paho.Client(CallbackAPIVersion.VERSION2)
        reader.on_message = lambda _c, _u, m: got.append(bytes(m.payload)) if m.retain else None
        reader.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        reader.connect("127.0.0.1", self.port)
        reader.loop_start()
        deadline = time.monotonic() + timeout_s
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        reader.disconnect()
        reader.loop_stop()
        if not got:
            raise AssertionError(f"no retained message on {topic}")
        return got[0]

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        terminate(self.process)
        self._log.close()
