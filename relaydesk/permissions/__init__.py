"""Actors and what they may do; for now, API keys for service callers."""
