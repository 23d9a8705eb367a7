"""The human queue: agents, claims on conversations, and fencing tokens."""
