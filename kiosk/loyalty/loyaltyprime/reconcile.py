"""After an attempt with an unknown outcome: ask Loyalty Prime what it holds under our key.

Only with the reads the site declared (backend.reads), each one of Prime's listed
endpoints: `tx_details` (GET /tx/{txId}/details) for accruals and full returns,
`deposit_statement` (GET /deposits/{key}/statement, by receiptId) for every points
movement, and `voucher_info` (GET /voucher/{token}/info) for voucher conversions and
revokes. Whatever can't be checked is `unverifiable`: the outbox holds it for a person.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from kiosk.loyalty import writes as w
from kiosk.loyalty.backend import NOT_APPLIED, UNKNOWN, Verdict, WriteRecord, unverifiable
from kiosk.loyalty.loyaltyprime.requests import body_of, unpack
from kiosk.loyalty.loyaltyprime.writes import data_of

TX_READ, STATEMENT_READ, VOUCHER_READ = "tx_details", "deposit_statement", "voucher_info"
READS = (TX_READ, STATEMENT_READ, VOUCHER_READ)
_NO_READ = ("nothing this site declared can show whether {what} was recorded (backend.reads would need "
            "{read!r})")
# The statement kind each points write leaves behind.
_STATEMENT_KIND = {"return_lines": "ADJUST", "award_points": "ADJUST", "debit_points": "ADJUST",
                   "redeem_points": "REDEEM", "reverse_points": "ADJUST"}


class Reader(Protocol):
    async def find_tx(self, tx_id: str) -> dict | None: ...
    async def statement_lines(self, member: str, receipt_id: str) -> list[dict]: ...
    async def find_voucher(self, token: str) -> dict | None: ...
    async def find_membership(self, alternate_id: str) -> dict | None: ...


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


async def enrolment(reader: Reader, sent: dict) -> Verdict:
    """An enrolment carries its enrolment key as an alternate id: the membership search by
    alternate id (the card look-up's own read) says whether it was made, and by whom."""
    keys = sent.get("alternateIds") or []
    if not keys:
        return unverifiable("this enrolment was sent without an enrolment key")
    held = await reader.find_membership(str(keys[0]))
    if held is None:
        return NOT_APPLIED
    person = ((held.get("owner") or {}).get("properties") or {}) if isinstance(held.get("owner"), dict) else {}
    wanted = (sent.get("owner") or {}).get("properties") or {}
    differences: tuple[str, ...] = ()
    if wanted.get("Email") and str(person.get("Email", "")).strip().casefold() != str(wanted["Email"]).strip().casefold():
        differences += ("Email: the membership under this enrolment key has another email",)
    if wanted.get("Mobile") and _digits(person.get("Mobile")) != _digits(wanted["Mobile"]):
        differences += ("Mobile: the membership under this enrolment key has another mobile",)
    if differences:
        return Verdict(False, differences=differences, held={"key": held.get("key")})
    return Verdict(True, reply={"success": True, "data": held})


def _eq(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return str(a).strip().casefold() == str(b).strip().casefold()


def reply_problems(kind: str, wire: bytes, reply: Any) -> tuple[str, ...]:
    """Why a 2xx reply does not answer what was sent (empty: it does)."""
    if not isinstance(reply, dict) or reply.get("success") is not True:
        return ("the reply is not a successful envelope",)
    data, sent = data_of(reply), body_of(wire)
    if not isinstance(data, dict):
        return ("the reply has no data",)
    if kind == "enrol":
        keys = sent.get("alternateIds") or []
        if keys and keys[0] not in (data.get("alternateIds") or []):
            return (f"alternateIds: sent {keys[0]!r}, the reply's membership does not carry it",)
        return ()
    if kind in ("order", "full_return") and not _eq(data.get("txId"), sent.get("txId")):
        return (f"txId: sent {sent.get('txId')!r}, reply has {data.get('txId')!r}",)
    if "receiptId" in sent and kind not in ("full_return",) and data.get("receiptId") is not None \
            and not _eq(data["receiptId"], sent["receiptId"]):
        return (f"receiptId: sent {sent['receiptId']!r}, reply has {data['receiptId']!r}",)
    return ()


async def reconcile(reader: Reader, record: WriteRecord, reads: frozenset[str]) -> Verdict:
    sent = body_of(record.wire)
    kind = record.kind
    if kind == "enrol":
        return await enrolment(reader, sent)
    if kind in ("order", "full_return"):
        if TX_READ not in reads:
            return unverifiable(_NO_READ.format(what="the order" if kind == "order" else "the return", read=TX_READ))
        held = await reader.find_tx(str(sent.get("txId")))
        return _order(sent, held) if kind == "order" else _reversal(held)
    if kind in ("redeem_code", "undo_code"):
        if VOUCHER_READ not in reads:
            return unverifiable(_NO_READ.format(what="the voucher's use", read=VOUCHER_READ))
        token = unpack(record.wire)[1].split("/")[1]
        held = await reader.find_voucher(token)
        return _voucher(kind, sent, held)
    if w.family_of(kind) == w.POINTS:
        if STATEMENT_READ not in reads:
            return unverifiable(_NO_READ.format(what="the points movement", read=STATEMENT_READ))
        member = record.member_id or ""
        if kind == "reverse_points" and "receiptId" not in sent:
            receipt, kind_wanted = str(sent.get("txId", "")).rpartition("_")[0], "REDEEM_REVERSAL"
        else:
            receipt, kind_wanted = str(sent.get("receiptId", "")), _STATEMENT_KIND.get(kind, "ADJUST")
        lines = [line for line in await reader.statement_lines(member, receipt) if line.get("kind") == kind_wanted]
        return _points(sent, lines, kind_wanted)
    return unverifiable(f"Loyalty Prime has no read for a {kind}")


def _order(sent: dict, held: dict | None) -> Verdict:
    if held is None:
        return NOT_APPLIED
    if not _eq(held.get("txId"), sent.get("txId")) or "items" not in held:
        return UNKNOWN
    differences = []
    if not _eq(held.get("clientId"), sent.get("clientId")):
        differences.append(f"clientId: sent {sent.get('clientId')!r}, backend has {held.get('clientId')!r}")
    mine = [(str(i.get("lineId")), str(i.get("productKey")), str(i.get("quantity"))) for i in sent.get("items", [])]
    theirs = [(str(i.get("lineId")), str(i.get("productKey")), str(i.get("quantity")))
              for i in held.get("items") or [] if isinstance(i, dict)]
    if mine != theirs:
        differences.append(f"items: sent {mine}, backend has {theirs}")
    if differences:
        return Verdict(False, differences=tuple(differences), held=held)
    return Verdict(True, reply={"success": True, "data": held})


def _reversal(held: dict | None) -> Verdict:
    if held is None or held.get("status") != "REVERSED":
        return NOT_APPLIED
    return Verdict(True, reply={"success": True, "data": {"txId": held.get("txId"),
                                                           "pointsReversed": held.get("pointsReversed")}})


def _points(sent: dict, lines: list[dict], kind_wanted: str) -> Verdict:
    if not lines:
        return NOT_APPLIED
    if len(lines) > 1:
        return Verdict(False, differences=(f"{len(lines)} statement lines under this receipt",), held=lines)
    line = lines[0]
    if kind_wanted != "REDEEM_REVERSAL":
        try:
            wanted, moved = int(str(sent.get("amount"))), int(str(line.get("points")))
        except ValueError:
            return UNKNOWN
        if kind_wanted == "REDEEM":
            wanted = -wanted
        # A debit takes what there is (never below zero): fewer points, same sign, is ours.
        if moved != wanted and not (wanted < 0 and wanted <= moved <= 0):
            return Verdict(False, differences=(f"points: sent {wanted}, statement has {moved}",), held=line)
    return Verdict(True, reply={"success": True, "data": {"receiptId": line.get("receiptId"),
                                                           "points": line.get("points"),
                                                           "balance": line.get("balance")}})


def _voucher(kind: str, sent: dict, held: dict | None) -> Verdict:
    if held is None:
        return NOT_APPLIED
    conversions = held.get("conversions")
    if not isinstance(conversions, list):
        return UNKNOWN
    receipt = sent.get("receiptId")
    if kind == "redeem_code":
        found = [c for c in conversions if isinstance(c, dict) and _eq(c.get("receiptId"), receipt)]
    else:
        found = [c for c in conversions if isinstance(c, dict) and c.get("revoked") is not None
                 and _eq(c.get("revoked"), receipt)]
    if not found:
        return NOT_APPLIED
    return Verdict(True, reply={"success": True, "data": {"token": held.get("token"), "receiptId": receipt}})
