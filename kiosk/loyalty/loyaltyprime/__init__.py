"""The Loyalty Prime adapter: the backend contract over Prime's /api/v10 (docs/loyaltyprime.md)."""

from kiosk.loyalty.loyaltyprime.client import LoyaltyPrimeClient

__all__ = ["LoyaltyPrimeClient"]
