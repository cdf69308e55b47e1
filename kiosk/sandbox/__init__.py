"""A local Annex Cloud emulator (FastAPI + SQLite): the embedded default backend.

Every decision the documents leave open is recorded in README.md beside this file.
"""
