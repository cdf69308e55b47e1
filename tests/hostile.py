"""A hostile backend of the suite's own: a real HTTP/1.1 server on 127.0.0.1 that
answers what a test tells it to (wrong replies, huge or endless bodies, odd
Retry-After headers, redirects, escape sequences, silence).

It runs its own event loop in a thread, so the client under test talks to it over
a real socket exactly as it talks to a real backend. Each test sets `answer`, a
function from the request to a `Reply`; every request received is kept in `seen`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

CHUNK = b"x" * 65536


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Streamed after the headers: this many bytes of filler (Content-Length set), or
    # for ever (chunked, until the client hangs up) when `endless`.
    filler: int = 0
    endless: bool = False
    delay_s: float = 0.0  # silence before anything is written
    trickle_s: float = 0.0  # endless, one byte at a time with this pause between


def json_reply(body: Any, status: int = 200, *, delay_s: float = 0.0, **headers: str) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers}, delay_s=delay_s)


class HostileBackend:
    def __init__(self) -> None:
        self.answer: Callable[[Request], Reply] = lambda request: json_reply({})
        self.seen: list[Request] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="hostile-backend")
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/3.0/"

    def start(self) -> "HostileBackend":
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop)
        self._server = started.result(timeout=5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path.split('?')[0]}" for r in self.seen]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await self._read(reader)
                if request is None:
                    return
                self.seen.append(request)
                reply = self.answer(request)
                await self._write(writer, reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): end quietly (a cancelled handler task is logged as an error by asyncio)
        finally:
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request | None:
        line = await reader.readline()
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        return Request(method, path, headers, body)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        headers = dict(reply.headers)
        if reply.endless:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(reply.body) + reply.filler)
        head = f"HTTP/1.1 {reply.status} Hostile\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode("latin-1") + b"\r\n")
        if reply.endless:
            piece = CHUNK[:1] if reply.trickle_s else CHUNK
            chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            while True:  # until the client hangs up (ConnectionError ends the connection)
                writer.write(chunk)
                await writer.drain()
                if reply.trickle_s:
                    await asyncio.sleep(reply.trickle_s)
        writer.write(reply.body)
        left = reply.filler
        while left > 0:
            writer.write(CHUNK[:min(left, len(CHUNK))])
            left -= len(CHUNK)
            await writer.drain()
        await writer.drain()
