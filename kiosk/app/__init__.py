"""The application without a screen: what the cashier window (ui/cashier) and the
self-service kiosk share, with no Qt anywhere.

- terminal.py: the terminal's parts (backend or embedded sandbox, the till and its outbox,
  telemetry, scanners, start-up checks), started and stopped in order.
- scans.py: every scan, from every source, parsed once and routed to whoever takes it.
- cashier.py and sale.py: the cashier's shift and the sale under way; till_passes.py: a
  reward pass from the kiosk, scanned at the till.
- shopper.py: a shopper's session at the kiosk.
- enrolment.py: a shopper joining at the kiosk, queued through the outbox so it is never lost.
- queue.py: the queue's business transactions (send a dead write again, settle a held one).
- people.py: what the application asks of a person, supplied by the screen.
- work.py and signals.py: named background work with sentences for failures, and the
  screen-free signals the screens listen to.
"""
