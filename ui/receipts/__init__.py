"""Receipts on screen and as PDF (Qt); the ESC/POS printing is kiosk.checkout.printing."""
