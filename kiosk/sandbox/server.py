"""Serving the sandbox: in its own thread (embedded in the app or a test) or as a command.

uvicorn serves it because it is the reference ASGI server for FastAPI; the
socket is bound here first so that port 0 gives a free port we can report.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import uvicorn

from kiosk.sandbox import app as sandbox_app
from kiosk.sandbox.db import Store
from kiosk.sandbox.loyalty import tier_of

API_PATH = "/api/3.0/"
VENDORS = ("annex", "loyaltyprime")
API_PATHS = {"annex": API_PATH, "loyaltyprime": "/api/v10/"}


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only
    # when the listening socket says it is TCP; without it Nagle's algorithm
    # meets delayed ACKs and adds ~40 ms to every reply (measured here).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def startup_info(store: Store, base_url: str, faults: bool, profile: str = "extended") -> dict:
    """The one JSON line a client or an integrator needs to talk to this sandbox."""
    with store.lock:
        members = store.conn.execute(
            "SELECT id, email, phone, first_name, last_name, available, lifetime FROM members"
            " WHERE status='ACTIVE' ORDER BY id").fetchall()
        coupons = store.conn.execute("SELECT code, discount_type, value FROM codes WHERE kind='coupon'"
                                     " AND status='Active' ORDER BY code").fetchall()
        cards = store.conn.execute("SELECT code, kind, balance_cents FROM codes WHERE kind!='coupon'"
                                   " AND status='Active' ORDER BY code").fetchall()
    return {
        "baseUrl": base_url, "siteId": store.site.site_id, "siteName": store.site.site_name,
        "secret": store.site.secret, "guestUserId": store.site.guest_user_id, "faults": faults,
        "profile": profile,
        "members": [{"id": m["id"], "email": m["email"], "phone": m["phone"],
                     "name": f"{m['first_name']} {m['last_name']}".strip(),
                     "tier": tier_of(store, m["lifetime"])[0], "availablePoints": m["available"]}
                    for m in members],
        "coupons": [{"code": c["code"], "discountType": c["discount_type"], "value": c["value"]} for c in coupons],
        "giftCards": [{"code": c["code"], "kind": c["kind"], "balance": f"{c['balance_cents'] / 100:.2f}"}
                      for c in cards],
    }


class SandboxServer:
    """The sandbox on a thread of its own, with its own event loop (never the Qt loop)."""

    def __init__(self, db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                 faults: bool = False, fresh: bool = False, site: dict | None = None,
                 profile: str = "extended", vendor: str = "annex"):
        if vendor not in VENDORS:
            raise ValueError(f"vendor must be one of {', '.join(VENDORS)}")
        self.vendor = vendor
        if vendor == "loyaltyprime":
            from kiosk.sandbox.loyaltyprime import app as prime_app
            self.app = prime_app.build(str(db_path), fresh=fresh, faults=faults, site=site)
        else:
            self.app = sandbox_app.build(str(db_path), fresh=fresh, faults=faults, site=site, profile=profile)
        self.profile = profile
        self.faults = faults
        self.db_path = str(db_path)
        self._sock = _bind(host, port)
        bound_host, bound_port = self._sock.getsockname()[:2]
        self.port = bound_port
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}{API_PATHS[vendor]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def store(self) -> Store:
        return self.app.state.store

    def info(self) -> dict:
        if self.vendor == "loyaltyprime":
            from kiosk.sandbox.loyaltyprime.app import startup_info as prime_info
            return prime_info(self.store, self.base_url, self.faults)
        return startup_info(self.store, self.base_url, self.faults, self.profile)

    def start(self, timeout: float = 15.0) -> "SandboxServer":
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The sandbox did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
        self.close_store()

    def close_store(self) -> None:
        with self.store.lock:
            self.store.conn.close()

    def serve_forever(self) -> None:
        """Foreground, for `kiosk sandbox`: uvicorn handles Ctrl-C and SIGTERM."""
        self._server.run(sockets=[self._sock])

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def print_info(server: SandboxServer) -> None:
    print(json.dumps(server.info(), ensure_ascii=False), flush=True)
