"""How long the terminal keeps its own records: sales, returns and the audit log.

`checkout.keep_records_days` (two years by default; the store's record-keeping
rule decides). The sync engine runs `prune` with its other housekeeping, every
hour while the till runs. Nothing is pruned that still matters to money: a sale
or return with an operation not yet delivered (or dead-lettered), or a sale whose
redemptions are still being given back or need a person.

The audit log refuses deletes in the database itself; its trigger lets through
only entries older than the cut-off this transaction names, so nothing else can
remove an entry, and nothing can remove a recent one.
"""

from __future__ import annotations

from kiosk.outbox.store import Database

AUDIT_GATE = "audit_prune_before"

_OPEN_OPS = "SELECT 1 FROM ops o WHERE o.sale_id = {} AND o.state IN ('pending', 'dead')"
_UNSETTLED = ("SELECT 1 FROM sale_redemptions r WHERE r.sale_id = s.id"
              " AND r.state IN ('authorizing', 'undo_wanted', 'needs_person')")


def prune(db: Database, keep_days: int, now: float) -> int:
    """Delete records older than `keep_days`; returns how many rows went."""
    cutoff = now - keep_days * 86400
    with db.tx() as conn:
        sales = [(row[0],) for row in conn.execute(
            "SELECT s.id FROM sales s WHERE s.updated_at < ? AND s.state != 'authorizing'"
            f" AND NOT EXISTS ({_OPEN_OPS.format('s.id')}) AND NOT EXISTS ({_UNSETTLED})", (cutoff,))]
        conn.executemany("DELETE FROM sale_redemptions WHERE sale_id = ?", sales)
        conn.executemany("DELETE FROM sales WHERE id = ?", sales)
        returns = conn.execute(f"DELETE FROM returns WHERE created_at < ? AND NOT EXISTS"
                               f" ({_OPEN_OPS.format('returns.order_id')})", (cutoff,)).rowcount
        conn.execute("INSERT OR REPLACE INTO outbox_state (name, value) VALUES (?, ?)", (AUDIT_GATE, repr(cutoff)))
        audit = conn.execute("DELETE FROM audit_log WHERE at < ?", (cutoff,)).rowcount
        conn.execute("DELETE FROM outbox_state WHERE name = ?", (AUDIT_GATE,))
    return len(sales) + returns + audit
