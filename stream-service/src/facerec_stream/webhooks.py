"""Webhook delivery: the event as JSON, POSTed with an HMAC-SHA256 signature.

Headers: `X-Facerec-Event-Id`, `X-Facerec-Delivery-Id`, `X-Facerec-Timestamp` (Unix seconds) and
`X-Facerec-Signature: sha256=<hex>`, the HMAC of `<timestamp>.<body>` with the webhook's secret
(the timestamp inside the signed text lets a receiver refuse replays). Any 2xx is delivered;
anything else, or no answer within the timeout, is tried again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from facerec.registry.v1 import cameras_pb2
from facerec_common.camera_events import event_document
from facerec_common.urls import redacted
from facerec_stream.delivery import DeliveryFailed
from facerec_stream.settings import WebhookSettings


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def payload(kind: str, event: cameras_pb2.CameraEvent, delivery_id: int) -> bytes:
    document = {
        "type": kind,
        "delivery_id": delivery_id,
        "event": event_document(event),
        "crop_jpeg_base64": base64.b64encode(event.crop_jpeg).decode() if event.crop_jpeg else None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


class WebhookSink:
    def __init__(self, settings: WebhookSettings, client: httpx.AsyncClient) -> None:
        self.name = f"webhook:{settings.name}"
        self._settings = settings
        self._secret = settings.secret.get_secret_value().encode()
        self._client = client

    async def send(self, kind: str, event: cameras_pb2.CameraEvent, delivery_id: int) -> None:
        body = payload(kind, event, delivery_id)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "facerec-webhooks/1",
            "X-Facerec-Event-Id": event.event_id,
            "X-Facerec-Delivery-Id": str(delivery_id),
            "X-Facerec-Timestamp": timestamp,
            "X-Facerec-Signature": signature(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(
                self._settings.url, content=body, headers=headers, timeout=self._settings.timeout_s
            )
        except httpx.HTTPError as exc:
            # httpx's messages may quote the URL, and a URL may hold a token.
            raise DeliveryFailed(f"{type(exc).__name__} from {redacted(self._settings.url)}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code} from {redacted(self._settings.url)}")
