"""How the sandbox checks a request's signature, from Annex Cloud's published JWT guide.

Bearer JWT, HS256, keyed by the site's secret; claims `sub` (site name), `exp`,
`site_id` and `hmac` = base64(HMAC-SHA256(secret, base64(payload))), where the
payload is the request body as sent (POST, PATCH, PUT) or, for a GET, its
identifier written as a JSON string, quotes included.

Written apart from the client's signer (kiosk.loyalty.auth) on purpose: with one
shared function, a mistake in it would sign and verify alike, and every test
against the sandbox would pass. PyJWT checks the JWT's own signature and header
(alg confusion and padding are where hand-made JWT code goes wrong).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt

LEEWAY_S = 30
REQUIRED_CLAIMS = ["exp", "sub", "site_id", "hmac"]


class Unauthorized(Exception):
    """The request's token is missing, expired, wrongly signed, or not for this request."""


def token_from(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("no Bearer token")
    return token.strip()


def signed_payload(method: str, body: bytes, identifier: str | None) -> bytes:
    if method in ("POST", "PATCH", "PUT"):
        return body
    return json.dumps(identifier or "", ensure_ascii=False).encode("utf-8")


def check(token: str, *, secret: str, site_id: str, payload: bytes, now: float) -> dict:
    """The token's claims when it is valid for this site and payload at `now`; else Unauthorized."""
    try:
        # exp is checked below against the caller's clock, so tests can pin time.
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": REQUIRED_CLAIMS, "verify_exp": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized(type(exc).__name__) from None
    try:
        expires = int(claims["exp"])
    except (TypeError, ValueError):
        raise Unauthorized("exp is not a number") from None
    if expires + LEEWAY_S < now:
        raise Unauthorized("expired")
    if str(claims["site_id"]) != str(site_id):
        raise Unauthorized("another site")
    digest = hmac.new(secret.encode("utf-8"), base64.b64encode(payload), hashlib.sha256).digest()
    if not hmac.compare_digest(str(claims["hmac"]), base64.b64encode(digest).decode("ascii")):
        raise Unauthorized("the hmac does not cover this payload")
    return claims
