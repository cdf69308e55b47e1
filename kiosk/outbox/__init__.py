"""Durable outbox: every backend write is stored first and delivered exactly once."""
