"""Actors and what they may do: API keys for service callers, customers' grants to delegated
agents, Cedar authorization of every action, and people's approvals (docs/actions.md)."""
