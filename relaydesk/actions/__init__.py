"""Safe actions: a registry of what the AI and delegated agents may ask for, run only after
Cedar authorizes them for the actor asking (relaydesk.permissions), with evidence stored.

See docs/actions.md.
"""

from relaydesk.actions.registry import ActionInvalid, ActionSpec, Registry, Risk
from relaydesk.actions.service import ActionRequest, ActionRuntime
from relaydesk.actions.stage import authorize_and_run

__all__ = [
    "ActionInvalid",
    "ActionRequest",
    "ActionRuntime",
    "ActionSpec",
    "Registry",
    "Risk",
    "authorize_and_run",
]
