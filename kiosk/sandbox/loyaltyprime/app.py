"""The Loyalty Prime sandbox's HTTP face: /api/v10, `Authorization: ApiKey`, the {success, data} envelope."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from kiosk.sandbox.db import Store, load_site, open_store
from kiosk.sandbox.faults import FaultMiddleware, Faults
from kiosk.sandbox.loyaltyprime import deposits, memberships, tx, vouchers
from kiosk.sandbox.loyaltyprime.common import EXTRA_SCHEMA, PREFIX, PrimeError, authorized, failure, raw_param

VERSION = "10.0-sandbox"


async def authorize(request: Request) -> None:
    if not authorized(request.headers.get("authorization"), request.app.state.store.site.secret):
        raise PrimeError(401, "UNAUTHORIZED", "A valid Authorization: ApiKey header is required")


async def _json(request: Request) -> object:
    try:
        raw = await request.body()
    except ClientDisconnect:
        # The client went away (a killed till) before its body arrived: nothing to apply, nobody to answer.
        raise PrimeError(400, "INVALID_REQUEST", "The request body did not arrive") from None
    if len(raw) > 1_000_000:
        raise PrimeError(413, "TOO_LARGE", "The request body is too large")
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise PrimeError(400, "INVALID_REQUEST", "The request body is not valid JSON") from None


def _filter(request: Request) -> str | None:
    return raw_param(request.scope.get("query_string", b""), "filter")


def _routes() -> APIRouter:
    r = APIRouter(prefix=PREFIX, dependencies=[Depends(authorize)])

    def store(request: Request) -> Store:
        return request.app.state.store

    async def run(fn, *args):
        return await run_in_threadpool(fn, *args)

    @r.get("/about")
    async def about():
        return {"success": True, "data": {"version": VERSION, "name": "Kiosk sandbox (Loyalty Prime)"}}

    @r.get("/memberships")
    async def search(request: Request):
        return await run(memberships.search, store(request), _filter(request))

    @r.post("/memberships")
    async def enrol(request: Request):
        return await run(memberships.enrol, store(request), await _json(request))

    @r.get("/memberships/{key}/details")
    async def details(key: str, request: Request):
        return await run(memberships.details, store(request), key)

    @r.put("/memberships/{key}/details")
    async def update(key: str, request: Request):
        return await run(memberships.update, store(request), key, await _json(request))

    @r.get("/deposits/{key}/redeemable")
    async def redeemable(key: str, request: Request, type: str | None = None):
        return await run(deposits.redeemable, store(request), key, type)

    @r.get("/deposits/{key}/statement")
    async def statement(key: str, request: Request, type: str | None = None):
        return await run(deposits.statement_json, store(request), key, type, _filter(request))

    # Declared before /deposits/{key}/redeem so "redeem" is never taken for a membership key.
    @r.post("/deposits/redeem/reversal")
    async def redeem_reversal(request: Request):
        return await run(deposits.redeem_reversal, store(request), await _json(request))

    @r.post("/deposits/{key}/redeem")
    async def redeem(key: str, request: Request, type: str | None = None):
        return await run(deposits.redeem, store(request), key, type, await _json(request))

    @r.post("/deposits/{key}/adjust")
    async def adjust(key: str, request: Request, type: str | None = None):
        return await run(deposits.adjust, store(request), key, type, await _json(request))

    @r.post("/tx")
    async def post_tx(request: Request):
        return await run(tx.post_tx, store(request), await _json(request))

    @r.post("/tx/reversal")
    async def reversal(request: Request):
        return await run(tx.reversal, store(request), await _json(request))

    @r.get("/tx")
    async def history(request: Request):
        return await run(tx.history, store(request), _filter(request))

    @r.get("/tx/{tx_id}/details")
    async def tx_details(tx_id: str, request: Request):
        return await run(tx.details, store(request), tx_id)

    @r.get("/promos/product/data")
    async def product_data(request: Request):
        return await run(tx.products, store(request))

    @r.get("/voucher/types")
    async def voucher_types(request: Request):
        return await run(vouchers.types, store(request))

    @r.get("/voucher")
    async def voucher_list(request: Request):
        return await run(vouchers.listing, store(request), _filter(request))

    @r.get("/voucher/{token}/info")
    async def voucher_info(token: str, request: Request):
        return await run(vouchers.info, store(request), token)

    @r.post("/voucher/{type_name}/issue")
    async def voucher_issue(type_name: str, request: Request, recipient: str | None = None):
        return await run(vouchers.issue, store(request), type_name, recipient)

    @r.post("/voucher/{token}/convert")
    async def voucher_convert(token: str, request: Request, client: str | None = None):
        return await run(vouchers.convert, store(request), token, client, await _json(request))

    @r.post("/voucher/{token}/revoke")
    async def voucher_revoke(token: str, request: Request, client: str | None = None):
        return await run(vouchers.revoke, store(request), token, client, await _json(request))

    return r


def _admin(faults: Faults) -> APIRouter:
    r = APIRouter(prefix="/_admin")

    @r.get("/faults")
    async def get_faults():
        return faults.public()

    @r.put("/faults")
    async def put_faults(request: Request):
        try:
            faults.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse(failure("INVALID_REQUEST", str(exc)), status_code=400)
        faults.apply_to(request.app.state.store)
        return faults.public()

    @r.get("/ledger")
    async def ledger(request: Request, since: int = 0):
        rows = request.app.state.store.read("SELECT * FROM ledger WHERE seq > ? ORDER BY seq", (since,))
        return [dict(row) for row in rows]

    return r


def create_app(store: Store, *, faults: Faults | None = None) -> FastAPI:
    app = FastAPI(title="Kiosk sandbox (Loyalty Prime API v10)", docs_url=None, redoc_url=None)
    store.profile = "loyaltyprime"
    with store.tx() as conn:
        for statement in EXTRA_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        if conn.execute("SELECT COUNT(*) FROM lp_alternate_ids").fetchone()[0] == 0:
            memberships.seed_alternate_ids(conn)
    app.state.store = store
    app.state.profile = "loyaltyprime"
    app.include_router(_routes())

    @app.exception_handler(PrimeError)
    async def prime_error(_request, exc: PrimeError):
        return JSONResponse(failure(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return JSONResponse(failure("NOT_FOUND", "No such resource"), status_code=404)
        return JSONResponse(failure("UNSUPPORTED", "Unsupported request"), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request, exc: RequestValidationError):
        return JSONResponse(failure("INVALID_REQUEST", "The request is not valid"), status_code=400)

    if faults is not None:
        faults.apply_to(store)
        app.include_router(_admin(faults))
        app.add_middleware(FaultMiddleware, faults=faults,
                           unavailable=failure("UNAVAILABLE", "Service temporarily unavailable"))
    return app


def build(db_path: str, *, fresh: bool = False, faults: bool = False, site: dict | None = None) -> FastAPI:
    return create_app(open_store(db_path, load_site(site), fresh=fresh), faults=Faults() if faults else None)


def startup_info(store: Store, base_url: str, faults: bool) -> dict:
    with store.lock:
        members = store.conn.execute("SELECT id, email, phone, available FROM members WHERE status='ACTIVE'"
                                     " ORDER BY id").fetchall()
        alternates = dict(store.conn.execute("SELECT member_id, alt_id FROM lp_alternate_ids").fetchall())
        tokens = store.conn.execute("SELECT code, discount_type, value, user_id FROM codes WHERE kind='coupon'"
                                    " AND status='Active' ORDER BY code").fetchall()
    return {"vendor": "loyaltyprime", "baseUrl": base_url, "apiKey": store.site.secret, "faults": faults,
            "partnerId": "DEMO-PARTNER", "debitorId": "KIOSK-DEMO", "channelKey": "STORE",
            "memberships": [{"key": m["id"], "alternateId": alternates.get(m["id"]), "email": m["email"],
                             "mobile": m["phone"], "points": m["available"]} for m in members],
            "vouchers": [{"token": t["code"], "of": "PERCENT" if t["discount_type"] == "Percentage" else "AMOUNT",
                          "value": t["value"], "issuedTo": t["user_id"]} for t in tokens]}
