"""The one error type of the checkout: its message is a sentence for the cashier.

The UI catches CheckoutError (and its kinds) and shows the message; anything else
is a bug, logged with its traceback and shown as a short notice.
"""

from __future__ import annotations


class CheckoutError(Exception):
    """Something asked of the checkout that can't be done now; the message says why.
    `audience` says who may read it (kiosk.i18n.Audience): a shopper at the kiosk is told
    to ask staff instead of reading a sentence only staff can act on."""

    audience = "everyone"


class CartError(CheckoutError):
    pass


class MoneyError(CheckoutError, ValueError):
    """An amount that is not money: not a number, or finer than a cent."""


class BarcodeError(CheckoutError, ValueError):
    """A product barcode that is not one: wrong length, characters or check digit."""


class ApprovalError(CheckoutError):
    audience = "cashier"


class OperatorError(CheckoutError):
    """Sign-in, approval or operator change refused; the message says what to do."""

    audience = "cashier"


class UnknownCode(CheckoutError):
    """The backend knows no such code: a typo, or a guess (the kiosk counts these, kiosk/selfservice/lockout.py)."""
