"""What the customer hears when a person takes over."""

from relaydesk.handoff.compose import HandoffMessage, compose_handoff, plain_handoff

__all__ = ["HandoffMessage", "compose_handoff", "plain_handoff"]
