"""Relaydesk: the decision layer between support AI and the people who take over."""

__version__ = "0.1.0"
