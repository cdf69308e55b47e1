"""Benchmarks: each bench_*.py module has `run() -> list[dict]`; `python -m tests.benchmarks` runs them.

Named bench_*, not test_*, so pytest never collects them: they are slow on
purpose and report figures rather than pass or fail.

A result dict: name, value, unit, target (str or None), ok (bool or None), detail.
"""
