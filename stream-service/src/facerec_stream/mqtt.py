"""MQTT delivery, in the topic style Home Assistant and Frigate users know.

  <prefix>/available              "online" / "offline" (retained; "offline" is the broker's will of
                                  each replica, "online" again every 30 s from those running)
  <prefix>/events                 every event change delivered: {"type": "new"|"end", "event": {...}}
  <prefix>/<camera>/events        the same, per camera
  <prefix>/<camera>/snapshot      the newest event's best face, JPEG (retained)
  <prefix>/<camera>/state         the camera's state, {"state", "reason", "analysed_fps", "lag_seconds"} (retained)

Events go through the outbox (QoS 1, delivered once the broker acknowledges them); camera state
is published directly when it changes (retained: a subscriber arriving later reads the latest).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from facerec.registry.v1 import cameras_pb2
from facerec_common.camera_events import event_document
from facerec_stream.delivery import DeliveryFailed

log = logging.getLogger(__name__)

ACK_TIMEOUT_S = 10.0
ONLINE_EVERY_S = 30.0


class MqttSink:
    name = "mqtt"

    def __init__(self, url: str, prefix: str, client_id: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("The MQTT URL must be mqtt://[user:password@]host[:port] or mqtts://…")
        self._prefix = prefix
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()
        self._online_at = 0.0
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if parts.username is not None:
            client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme == "mqtts":
            client.tls_set()
        client.will_set(f"{prefix}/available", "offline", qos=1, retain=True)
        client.on_connect = self._connected
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.connect_async(parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883), keepalive=30)
        client.loop_start()
        self._client = client

    def _connected(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        log.info("connected to the MQTT broker")
        client.publish(f"{self._prefix}/available", "online", qos=1, retain=True)
        with self._lock:
            states = list(self._states.items())
        for topic, payload in states:  # retained state, again after the broker restarts
            client.publish(topic, payload, qos=1, retain=True)

    async def send(self, kind: str, event: cameras_pb2.CameraEvent, delivery_id: int) -> None:
        if not self._client.is_connected():
            raise DeliveryFailed("not connected to the MQTT broker")
        message = json.dumps({"type": kind, "event": event_document(event)}, separators=(",", ":"))
        sent = [
            self._client.publish(f"{self._prefix}/events", message, qos=1),
            self._client.publish(f"{self._prefix}/{event.camera}/events", message, qos=1),
        ]
        if kind == "new" and event.crop_jpeg:
            sent.append(
                self._client.publish(f"{self._prefix}/{event.camera}/snapshot", event.crop_jpeg, qos=1, retain=True)
            )
        if not await asyncio.to_thread(_acknowledged, sent):
            raise DeliveryFailed("the MQTT broker did not acknowledge the event")

    def camera_state(self, camera: str, state: dict[str, Any]) -> None:
        """Publish a camera's state when it changed (retained); best effort, kept for reconnects."""
        topic = f"{self._prefix}/{camera}/state"
        payload = json.dumps(state, separators=(",", ":"), sort_keys=True)
        with self._lock:  # paho's thread reads them on reconnecting
            if self._states.get(topic) == payload:
                return
            self._states[topic] = payload
        if self._client.is_connected():
            self._client.publish(topic, payload, qos=1, retain=True)

    def forget_camera(self, camera: str) -> None:
        """A camera no longer watched here: its retained state cleared (an empty retained message);
        the replica that takes it over publishes its own."""
        topic = f"{self._prefix}/{camera}/state"
        with self._lock:
            self._states.pop(topic, None)
        if self._client.is_connected():
            self._client.publish(topic, b"", qos=1, retain=True)

    def still_online(self) -> None:
        """Every heartbeat: `online` again, retained, so one replica's will (`offline`) does not
        stand while others run."""
        now = time.monotonic()
        if self._client.is_connected() and now - self._online_at >= ONLINE_EVERY_S:
            self._online_at = now
            self._client.publish(f"{self._prefix}/available", "online", qos=1, retain=True)

    def close(self) -> None:
        if self._client.is_connected():
            with contextlib.suppress(RuntimeError, ValueError):  # the broker went meanwhile
                self._client.publish(f"{self._prefix}/available", "offline", qos=1, retain=True).wait_for_publish(2.0)
        self._client.disconnect()
        self._client.loop_stop()


def _acknowledged(sent: list[paho.MQTTMessageInfo]) -> bool:
    for info in sent:
        try:
            info.wait_for_publish(ACK_TIMEOUT_S)
        except (RuntimeError, ValueError):
            return False
        if not info.is_published():
            return False
    return True
