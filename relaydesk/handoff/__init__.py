"""What the customer hears when a person takes over, and what that person sees."""

from relaydesk.handoff.compose import HandoffMessage, compose_handoff, plain_handoff
from relaydesk.handoff.packet import ContextPacket, build_packet
from relaydesk.handoff.templates import TemplateError, Templates, load_templates, shipped_templates

__all__ = [
    "ContextPacket",
    "HandoffMessage",
    "TemplateError",
    "Templates",
    "build_packet",
    "compose_handoff",
    "load_templates",
    "plain_handoff",
    "shipped_templates",
]
