"""The sandbox's HTTP face: Annex Cloud's paths, field names and error body under /api/3.0/."""

from __future__ import annotations

import json
import time

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.sandbox import codes, documented, loyalty, orders, signing
from kiosk.sandbox.db import ApiError, Store, invalid, open_store
from kiosk.sandbox.faults import FaultMiddleware, Faults

PREFIX = "/api/3.0"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorMessage": message}, status_code=status)


async def authorize(request: Request) -> None:
    """Every route: a Bearer JWT whose hmac covers exactly this request's payload."""
    store: Store = request.app.state.store
    try:
        token = signing.token_from(request.headers.get("authorization"))
        body = await request.body() if request.method in ("POST", "PATCH", "PUT") else b""
        identifier = next(iter(request.path_params.values()), None)
        signing.check(token, secret=store.site.secret, site_id=store.site.site_id,
                      payload=signing.signed_payload(request.method, body, identifier), now=time.time())
    except signing.Unauthorized:
        raise ApiError(401, "AC1002", "Request Not Authorized") from None


async def _json(request: Request) -> object:
    raw = await request.body()
    if len(raw) > 1_000_000:
        raise invalid("The request body is too large")
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise invalid("The request body is not valid JSON") from None


PROFILES = ("extended", "documented")


def _routes(profile: str) -> APIRouter:
    r = APIRouter(prefix=PREFIX, dependencies=[Depends(authorize)])
    doc = profile == "documented"

    def store(request: Request) -> Store:
        return request.app.state.store

    async def call(route: str, fn, *args):
        reply = await run_in_threadpool(fn, *args)
        return documented.trim(route, reply) if doc else reply

    def extended_only(decorator):
        # Routes the documents do not show are simply not mounted in the documented
        # profile: the 404 handler then answers AC1005, as for a missing record.
        return decorator if not doc else (lambda fn: fn)

    @r.get("/users/{member_id}")
    async def get_user(member_id: str, request: Request):
        return await call("user", loyalty.get_user, store(request), member_id)

    @extended_only(r.post("/users"))
    async def enrol(request: Request):
        return await run_in_threadpool(loyalty.enrol, store(request), await _json(request))

    @r.get("/points/{member_id}")
    async def get_points(member_id: str, request: Request):
        return await call("points", loyalty.get_points, store(request), member_id)

    @extended_only(r.get("/points/{member_id}/activity"))
    async def points_activity(member_id: str, request: Request, customId: str = ""):
        return await run_in_threadpool(loyalty.points_activity, store(request), member_id, customId)

    @r.post("/points")
    async def post_points(request: Request):
        return await call("points_post", loyalty.post_points, store(request), await _json(request))

    @r.post("/bulkpoints")
    async def bulk_points(request: Request):
        return await call("bulkpoints", loyalty.bulk_points, store(request), await _json(request))

    @r.get("/users/{member_id}/reward")
    async def rewards(member_id: str, request: Request):
        return await call("rewards", loyalty.rewards_json, store(request), member_id)

    @r.post("/orders")
    async def create_order(request: Request):
        return await call("order", orders.create_order, store(request), await _json(request))

    @extended_only(r.get("/orders/{order_id}"))
    async def get_order(order_id: str, request: Request):
        return await run_in_threadpool(orders.get_order, store(request), order_id)

    @r.patch("/orders/{order_id}")
    async def return_order(order_id: str, request: Request):
        return await call("return", orders.return_order, store(request), order_id, await _json(request))

    @r.get("/incentive/validatecode/{code}")
    async def validate(code: str, request: Request, userId: str | None = None):
        return await call("code", codes.validate, store(request), code, userId)

    @r.patch("/incentive/updatecodedetails/{user_id}")
    async def update_code(user_id: str, request: Request):
        return await call("code", codes.update_code, store(request), user_id, await _json(request))

    @r.patch("/incentive/updatebatchcodedetails/{site_id}")
    async def update_batch(site_id: str, request: Request):
        return await call("batch", codes.update_batch, store(request), site_id, await _json(request))

    @extended_only(r.get("/incentive/redemption/{reference_id}"))
    async def redemption(reference_id: str, request: Request):
        return await run_in_threadpool(codes.redemption, store(request), reference_id)

    @r.get("/incentive/usercodedetails/{user_id}")
    async def user_codes(user_id: str, request: Request):
        return await call("user_codes", codes.user_codes, store(request), user_id)

    @extended_only(r.post("/incentive/codes"))
    async def create_codes(request: Request):
        return await run_in_threadpool(codes.create_codes, store(request), await _json(request))

    @extended_only(r.post("/incentive/assigncodes"))
    async def assign_code(request: Request):
        return await run_in_threadpool(codes.assign_code, store(request), await _json(request))

    @r.post("/incentive/getredemptionlog")
    async def redemption_log(request: Request):
        return await call("redemption_log", codes.redemption_log, store(request), await _json(request))

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
            return _error(400, "AC2001", str(exc))
        faults.apply_to(request.app.state.store)
        return faults.public()

    @r.get("/ledger")
    async def ledger(request: Request, since: int = 0):
        rows = request.app.state.store.read("SELECT * FROM ledger WHERE seq > ? ORDER BY seq", (since,))
        return [dict(row) for row in rows]

    return r


def create_app(store: Store, *, faults: Faults | None = None, profile: str = "extended") -> FastAPI:
    app = FastAPI(title="Kiosk sandbox (Annex Cloud Loyalty API v3)", docs_url=None, redoc_url=None)
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
    doc = profile == "documented"
    store.profile = profile
    app.state.store = store
    app.state.profile = profile
    app.include_router(_routes(profile))

    def error(status: int, code: str, message: str) -> JSONResponse:
        return _error(status, documented.error_code(status, code) if doc else code, message)

    @app.exception_handler(ApiError)
    async def api_error(_request, exc: ApiError):
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc: StarletteHTTPException):
        # 405 too in the documented profile: GET /orders/{id} exists there only as a
        # PATCH, and "method not allowed" would tell the client the path is real.
        if exc.status_code == 404 or (doc and exc.status_code == 405):
            return _error(404, "AC1005", "No data found")
        return error(exc.status_code, "AC2030", "Unsupported request")

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request, exc: RequestValidationError):
        return error(400, "AC2001", "The request is not valid")

    if faults is not None:
        faults.apply_to(store)
        app.include_router(_admin(faults))
        app.add_middleware(FaultMiddleware, faults=faults)
    return app


def build(db_path: str, *, fresh: bool = False, faults: bool = False, site: dict | None = None,
          profile: str = "extended") -> FastAPI:
    from kiosk.sandbox.db import load_site
    return create_app(open_store(db_path, load_site(site), fresh=fresh), faults=Faults() if faults else None,
                      profile=profile)
