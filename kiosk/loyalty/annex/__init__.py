"""Annex Cloud (Loyalty API v3 and Incentive Engine): everything of that vendor's lives here.

Paths and request bodies (requests), reply fields (replies), error codes (errors),
request signing (kiosk.loyalty.auth's JWT), the write contract's encoding, reply
checks and reconciliation (writes, reconcile). The rest of the terminal sees only
the contract (kiosk.loyalty.backend) and the models.
"""

from kiosk.loyalty.annex.client import AnnexCloudClient

VENDOR = "annex"

__all__ = ["AnnexCloudClient", "VENDOR"]
