"""Checkout: catalogue, operators, cart and money, loyalty at the till, sales, returns, receipts.

Qt-free like the rest of kiosk: the UI drives it, and tests drive it directly.
"""
