"""Screenshots of the cashier window's main states, for the README and for a look by eye.

`bash scripts/screenshots.sh [OUT]` runs this under Xvfb (a real X server, so the
window is drawn as a person would see it) against the embedded sandbox with demo
data, in a throw-away data folder. It drives the window the way a cashier would
(sign in, scan, pay...) and saves one PNG per state. Tests never run it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path

STATES = ("sign-in", "sale", "notice", "tendering", "receipt", "change-due", "returns", "return-approval",
          "return-done", "offline")


async def until(condition, timeout: float = 15.0) -> None:
    """Wait, letting the loop run, until `condition()` holds (tests' window children use it too)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        await asyncio.sleep(0.05)


async def _save(widget, out: Path, name: str) -> None:
    # Let Qt lay out and paint first. Not processEvents(): called inside a task it
    # would run other tasks' steps re-entrantly, which asyncio refuses.
    await asyncio.sleep(0.1)
    widget.grab().save(str(out / f"{name}.png"))
    print(out / f"{name}.png", flush=True)


async def _tour(window, terminal, out: Path) -> None:
    from kiosk.outbox import events as ev
    from kiosk.scanner.payload import CodeRef, MemberRef, ProductRef, ReceiptRef
    from kiosk.scanner.events import Scanned

    def scan(ref) -> None:
        window.hub.publish(Scanned(ref, None, "wedge"))

    await until(lambda: window.stack.currentWidget() is window.sign_in)
    window.sign_in.operator.setText("C01")
    window.sign_in.pin.setText("1111")
    await _save(window, out, "sign-in")
    window.sign_in.go.click()
    await until(lambda: window.stack.currentWidget() is window.work)
    for gtin in ("2004242000017", "2004242000017", "2004242000116"):
        scan(ProductRef(gtin))
        await asyncio.sleep(0.2)
    scan(MemberRef("id", "M100003"))
    await until(lambda: window.sale.session.member is not None and window.member.reward_buttons)
    await asyncio.sleep(0.3)
    await _save(window, out, "sale")
    # The crisps taken off: the notice strip offers Undo, and nothing else moves.
    window.sale.remove_line(window.sale.session.cart.lines[-1].line_id)
    await asyncio.sleep(0.3)
    await _save(window, out, "notice")
    window.sale.undo()
    scan(CodeRef("GC-1000-0003"))
    await until(lambda: window.tender.tenders.count() == 1)
    await asyncio.sleep(0.3)
    await _save(window, out, "tendering")
    window.tender.amount.setText("20.00")
    window.tender.cash.click()
    await asyncio.sleep(0.2)
    window.tender.pay.click()
    await until(lambda: bool(window.receipts))
    await asyncio.sleep(0.5)
    receipt = window.receipts[0]
    await _save(receipt, out, "receipt")
    order_id = receipt.receipt.sale_id
    receipt.close()
    await asyncio.sleep(0.3)
    await _save(window, out, "change-due")
    scan(ReceiptRef(order_id))
    await until(lambda: any(getattr(d, "order", None) is not None for d in window.tools.dialogs))
    await asyncio.sleep(0.3)
    returns = window.tools.dialogs[-1]
    await _save(returns, out, "returns")
    # Everything back: the manager reads the items, the card's share and the cash before approving.
    returns.return_all.click()
    await until(lambda: window.approval_dialog is not None and window.approval_dialog.isVisible())
    approval = window.approval_dialog
    approval.manager.setText("M01")
    approval.pin.setText("2580")
    approval.reason.setText("changed mind")
    await _save(approval, out, "return-approval")
    approval.ok.click()
    await until(lambda: returns.last is not None and returns.order is not None and returns.order.fully_returned)
    await _save(returns, out, "return-done")
    window.tools.close_all()
    window.hub.publish(ev.ConnectivityChanged(ev.OFFLINE, "test"))
    await asyncio.sleep(0.5)
    await _save(window, out, "offline")


KIOSK_STATES = ("kiosk-attract", "kiosk-member", "kiosk-reward-qr", "kiosk-card-keyboard", "kiosk-join",
                "kiosk-join-accents", "kiosk-join-consent", "kiosk-email", "kiosk-email-code", "kiosk-email-locked",
                "kiosk-staff-unlock", "kiosk-still-there", "kiosk-offline")


async def _kiosk_tour(window, terminal, out: Path) -> None:
    """The self-service kiosk (`kiosk --mode selfservice`): the attract screen, a member's
    account, a reward QR, the gift card check on the on-screen keyboard, joining (its accent
    keys, its consent step), finding oneself by email (the code step, locked after wrong codes,
    the manager's unlock), the idle question, and the offline banner."""
    from kiosk.outbox import events as ev
    from kiosk.scanner.events import Scanned
    from kiosk.scanner.payload import MemberRef

    await asyncio.sleep(0.5)
    await _save(window, out, "kiosk-attract")
    window.hub.publish(Scanned(MemberRef("id", "M100003"), "QRCode", "camera"))
    await until(lambda: window.stack.currentWidget() is window.screens.get("member")
                and window.screens["member"].rows)
    await _save(window, out, "kiosk-member")
    member = window.screens["member"]
    next(row for row in member.rows if row.get is not None).get.click()
    await until(lambda: window.stack.currentWidget() is window.screens.get("pass"))
    await _save(window, out, "kiosk-reward-qr")
    window.show_screen("card")
    card = window.screens["card"]
    for key in "GC-1000":
        card.code.insert(key)
    await _save(window, out, "kiosk-card-keyboard")
    window.show_screen("enrol")
    enrol = window.screens["enrol"]
    enrol.first_name.setText("Dora")
    enrol.contact.setText("dora@example.com")
    await _save(window, out, "kiosk-join")
    enrol.keyboard.toggle_accents()
    await _save(window, out, "kiosk-join-accents")
    enrol.keyboard.toggle_accents()
    enrol.next.click()
    await _save(window, out, "kiosk-join-consent")
    window.reset()
    await _email_states(window, out)
    window.reset()
    await asyncio.sleep(0.3)
    window.question.ask("idle", "Still there?", "For your privacy, this screen will clear soon.",
                        [("stay", "Yes, I'm here")], countdown_s=20, when_done="reset")
    await _save(window, out, "kiosk-still-there")
    window.question.close_overlay()
    window.hub.publish(ev.ConnectivityChanged(ev.OFFLINE, "test"))
    await asyncio.sleep(0.5)
    await _save(window, out, "kiosk-offline")


async def _email_states(window, out: Path) -> None:
    """Find me by email against the local mail catcher (_mail_catcher): a code is really sent."""
    from kiosk.selfservice import codes

    window.show_screen("email")
    email = window.screens["email"]
    for char in "chloe.martin@example.com":
        email.keyboard.type_char(char)
    await _save(window, out, "kiosk-email")
    email.send()
    await until(lambda: email.steps.currentIndex() == 1)
    for digit in "12345":
        email.keypad.keys[digit].click()
    await _save(window, out, "kiosk-email-code")
    wrong = next(c * codes.CODE_DIGITS for c in "01" if c * codes.CODE_DIGITS not in _MAILED[-1])
    for _ in range(codes.MAX_ATTEMPTS):
        email.code.setText(wrong)
        email.enter()
        await asyncio.sleep(0.2)
    await until(lambda: email.unlock.isVisible())
    await _save(window, out, "kiosk-email-locked")
    email.unlock.click()
    await until(lambda: window.pin.showing)
    await _save(window, out, "kiosk-staff-unlock")
    window.pin.cancel.click()


_MAILED: list[str] = []  # the mails' texts, so that the wrong codes typed are surely wrong


def _mail_catcher():
    """A mail server on loopback that keeps what it is sent, for the email states (aiosmtpd,
    a development dependency: the screenshots are a developer's tool)."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            _MAILED.append(envelope.original_content.decode("utf-8", "replace"))
            return "250 OK"

    with socket.socket() as probe:  # a free port: aiosmtpd's Controller can't be given port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update(KIOSK_SELFSERVICE__LOOKUP_BY_CONTACT="true", KIOSK_SELFSERVICE__MAIL__HOST="127.0.0.1",
                      KIOSK_SELFSERVICE__MAIL__PORT=str(controller.port), KIOSK_SELFSERVICE__MAIL__SECURITY="none",
                      KIOSK_SELFSERVICE__MAIL__SENDER="kiosk@shop.example")
    return controller


def main(out: Path, mode: str = "cashier") -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        # A fresh terminal and sandbox every time, so the pictures tell the same story.
        os.environ.update(XDG_DATA_HOME=f"{tmp}/data", XDG_CONFIG_HOME=f"{tmp}/config", KIOSK_SCANNER__CAMERA="")
        from ui.app import run_gui

        catcher = _mail_catcher() if mode == "selfservice" else None
        failures: list[BaseException] = []

        def ready(window, terminal) -> None:
            def done(task: asyncio.Task) -> None:
                if not task.cancelled() and task.exception() is not None:
                    failures.append(task.exception())
                if mode == "selfservice":
                    window.leave(0)  # the kiosk's window refuses a plain close
                else:
                    window.close()

            tour = _kiosk_tour if mode == "selfservice" else _tour
            task = asyncio.ensure_future(tour(window, terminal, out))
            task.add_done_callback(done)
            window._screenshot_task = task  # a strong reference for as long as the window lives

        try:
            run_gui(on_ready=ready, mode=mode)
        finally:
            if catcher is not None:
                catcher.stop()
        if failures:
            print(f"screenshots: {failures[0]}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"), *sys.argv[2:3]))
