"""The documented profile: what a client may rely on when it knows only the published documents.

Each route's reply keeps only the fields its published example shows (README.md,
"The documented profile"); every refusal the documents give no code for gets a
code the terminal cannot know, so a client that matches on our AC20xx codes fails
its tests here.
"""

from __future__ import annotations

from typing import Any

# The four codes the documents name; every other refusal is re-coded.
DOCUMENTED_CODES = {"AC1002", "AC1005", "AC1026", "AC1028"}

# Our internal code -> its stand-in two digits (per HTTP status). Stable, so a
# test can name them; a code not listed gets 99.
_STAND_IN = {"AC2001": "01", "AC2030": "02", "AC2002": "01", "AC2022": "02", "AC2003": "03",
             "AC2020": "01", "AC2021": "02", "AC2010": "03", "AC2011": "04"}


def error_code(status: int, code: str) -> str:
    if code in DOCUMENTED_CODES:
        return code
    return f"E{status}{_STAND_IN.get(code, '99')}"


_USER = {"id", "email", "firstName", "lastName", "zipCode", "optInStatus", "status", "phone", "birthDate",
         "anniversaryDate", "userProfileImageUrl", "createDate", "updateDate", "totalSpendCurrency",
         "extendedAttribute"}
_POINTS = {"siteId", "id", "availablePoints", "usedPoints", "negativePoints", "expiredPoints", "lifetimePoints",
           "holdPoints", "usedPointsOnReward", "pointsToExpire", "pointsToExpireDate", "totalSpent",
           "creditsToCurrencyRatio", "creditsToCurrencyValue", "ytdCreditPoints", "ytdDebitPoints",
           "availableRedemptionPoints", "usedRedemptionPoints", "pointsToNextTier", "spendToNextTier",
           "earnedPoints", "earnedPointsPeriod", "rewardDenomination"}
# POST /points: the union of the variants in the 000 example and the 002 debit.
_POINTS_POST = {"siteId", "id", "actionId", "activity", "orderId", "debit", "credit", "storeDetails", "reason",
                "customId", "source", "pointsDeducted", "pointsNotDeducted", "pointsAwarded", "rewardId",
                "rewardName", "rewardDescription", "rewardCode", "rewardCodeExpDate", "updatedUserTier",
                "previousTier", "updatedAvailablePoints", "updatedLifetimePoints"}
_BULK_ITEM = _POINTS_POST | {"credit/debit"}
_REWARDS = {"siteId", "creditsToCurrencyRatio", "creditsToCurrencyValue", "rewardDetail"}
_REWARD = {"rewardId", "rewardCategory", "displayText", "rewardType", "rewardTerms", "rewardDescription",
           "creditRequired", "deductAmount", "rewardCurrency", "rewardExpirationType", "rewardExpirationPeriod",
           "eligible", "rewardLimit", "limitPeriod", "redeemCount", "remainingCount", "autoRewardStatus",
           "tierData"}
_ORDER = {"siteId", "id", "userId", "email", "orderTotal", "source", "pointsAwarded", "pointsExpirationDate",
          "coupon", "previousTier", "updatedUserTier", "currentTier", "nextTier", "pointsToNextTier",
          "currentTierPurchaseRatio", "spendAmountToNextTier", "orderDetail", "updatedAvailablePoints",
          "updatedLifetimePoints"}
_ORDER_LINE = {"id", "unitPrice", "quantity", "productName", "autoDelivery", "secondaryKey", "points"}
_RETURN = {"siteId", "orderId", "pointsRemoved", "previousTier", "updatedUserTier", "currentTier", "nextTier",
           "pointsToNextTier", "currentTierPurchaseRatio", "spendAmountToNextTier", "updatedAvailablePoints",
           "updatedLifetimePoints"}
# Codes, as 001's updatecodedetails reply (the batch reply adds siteId).
_CODE = {"message", "groupId", "source", "userId", "orderId", "incentiveCode", "codeType", "codeValidity",
         "codeStatus", "codeValue", "balanceCodeValue", "redemptionLimit", "redeemed", "referenceId"}
_BATCH_ITEM = (_CODE - {"codeValidity"}) | {"siteId"}
_USER_CODES = {"userId", "codes"}
_LOG = {"incentiveCode", "userId", "fromDate", "toDate", "redemptionCount", "undoRedemptionCount"}


def _keep(reply: Any, fields: set[str]) -> Any:
    if not isinstance(reply, dict):
        return reply
    if "errorCode" in reply:  # a failed /bulkpoints item
        return reply
    return {k: v for k, v in reply.items() if k in fields}


def trim(route: str, reply: Any) -> Any:
    """`reply` with only the fields the published example of `route` shows."""
    if route == "user":
        return _keep(reply, _USER)
    if route == "points":
        return _keep(reply, _POINTS)
    if route == "points_post":
        return _keep(reply, _POINTS_POST)
    if route == "bulkpoints":
        return {n: _keep(item, _BULK_ITEM) for n, item in reply.items()}
    if route == "rewards":
        out = _keep(reply, _REWARDS)
        out["rewardDetail"] = [_keep(r, _REWARD) for r in out.get("rewardDetail", [])]
        return out
    if route == "order":
        out = _keep(reply, _ORDER)
        out["orderDetail"] = [_keep(line, _ORDER_LINE) for line in out.get("orderDetail", [])]
        return out
    if route == "return":
        return _keep(reply, _RETURN)
    if route == "code":
        return _keep(reply, _CODE)
    if route == "batch":
        return [_keep(i, _BATCH_ITEM) for i in reply] if isinstance(reply, list) else _keep(reply, _BATCH_ITEM)
    if route == "user_codes":
        out = _keep(reply, _USER_CODES)
        out["codes"] = [_keep(c, _CODE) for c in out.get("codes", [])]
        return out
    if route == "redemption_log":
        return _keep(reply, _LOG)
    raise KeyError(route)
