"""What the application asks of a person, supplied by the screen.

The application layer decides *when* a manager must approve or the cashier must say yes;
the screen decides *how* (the cashier window's PIN dialog and in-window question, the
kiosk's overlays, a test's scripted answers). Both answers are awaited on the screen's loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from kiosk.checkout.operators import Approval


class People(Protocol):
    async def ask_approval(self, action: str, subject: str, details: Sequence[str] = ()) -> "Approval | None":
        """A manager's approval of `action` on `subject` (a sale id, an operation number), or
        None when nobody approved. `details` are the lines the manager reads before the PIN."""

    async def confirm(self, question: str, yes: str, no: str) -> bool:
        """The person's yes (the `yes` answer) or no."""


class Nobody:
    """No one to ask: nothing is approved and nothing is agreed (a screen not attached yet)."""

    async def ask_approval(self, action: str, subject: str, details: Sequence[str] = ()) -> None:
        return None

    async def confirm(self, question: str, yes: str, no: str) -> bool:
        return False
