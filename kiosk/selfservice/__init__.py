"""The self-service kiosk's core, without a screen: reward passes (passes.py, signed with the
store's key from keys.py; those paid with are kept in used.py), the lock-out of guessed
entries (lockout.py) and what a shared screen may show of a member (privacy.py)."""
