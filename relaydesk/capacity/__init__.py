"""Capacity and team planning for a blended AI + human support team.

Pure and seeded: every model takes plain values and returns plain values; reading history
from the store or a CSV happens at the edges (``history.py``, ``demand.py``).
"""
