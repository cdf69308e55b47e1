"""Fault switches for tests: latency, errors, lost replies, duplicate protection.

They exist only when the sandbox is started with faults enabled; the admin
routes that flip them are not even mounted otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import asdict, dataclass, field


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0  # answered 503 before anything is applied
    drop_reply_rate: float = 0.0  # applied, then the connection is cut before the reply
    order_protection: bool = True
    points_protection: bool = True
    code_protection: bool = True
    seed: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def public(self) -> dict:
        data = asdict(self)
        data.pop("rng")
        data["duplicate_protection"] = self.duplicate_protection
        return data

    @property
    def duplicate_protection(self) -> bool:
        return self.order_protection and self.points_protection and self.code_protection

    @duplicate_protection.setter
    def duplicate_protection(self, on: bool) -> None:
        self.order_protection = self.points_protection = self.code_protection = bool(on)

    def apply_to(self, store) -> None:
        store.order_protection, store.points_protection, store.code_protection = \
            self.order_protection, self.points_protection, self.code_protection

    def update(self, changes: dict) -> None:
        for name in ("latency_ms", "error_rate", "drop_reply_rate"):
            if name in changes:
                value = float(changes[name])
                if value < 0 or (name != "latency_ms" and value > 1):
                    raise ValueError(f"{name} out of range")
                setattr(self, name, value)
        if "duplicate_protection" in changes:
            self.duplicate_protection = bool(changes["duplicate_protection"])
        # After the combined switch, so {"duplicate_protection": true, "code_protection": false} means what it says.
        for name in ("order_protection", "points_protection", "code_protection"):
            if name in changes:
                setattr(self, name, bool(changes[name]))
        if "seed" in changes:
            self.seed = changes["seed"]
            self.rng.seed(self.seed)


class ReplyDropped(ConnectionAbortedError):
    """Raised on purpose to cut a connection; not an error worth a traceback."""


class _QuietDrops(logging.Filter):
    # uvicorn logs any exception after the reply started with its traceback.
    # A dropped reply is the switch doing its job; formatting a traceback from
    # the server thread while pytest compiles in the main one has also crashed
    # CPython 3.11's ast module here.
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ReplyDropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class FaultMiddleware:
    """Pure ASGI, because cutting a connection after the work is done needs the raw `send`."""

    UNAVAILABLE = {"errorCode": "AC5003", "errorMessage": "Service temporarily unavailable"}

    def __init__(self, app, faults: Faults, prefix: str = "/api/", unavailable: dict | None = None):
        self.app, self.faults, self.prefix = app, faults, prefix
        # Each vendor's sandbox answers the switch's 503 in its own error shape.
        self.unavailable = json.dumps(unavailable or self.UNAVAILABLE).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        f = self.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.error_rate and f.rng.random() < f.error_rate:
            body = self.unavailable
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if f.drop_reply_rate and f.rng.random() < f.drop_reply_rate:
            async def swallow(message):
                return None

            await self.app(scope, receive, swallow)
            # Headers promising a body, then an exception: the server closes the
            # connection mid-reply, which the client sees as a lost reply.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"4096")]})
            raise ReplyDropped("sandbox fault: reply dropped after applying")
        return await self.app(scope, receive, send)
