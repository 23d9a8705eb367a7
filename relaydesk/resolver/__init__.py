"""The AI attempt: a grounded answer with citations and a confidence, or an honest none."""

from relaydesk.resolver.attempt import attempt_answer
from relaydesk.resolver.types import Attempt, Citation

__all__ = ["Attempt", "Citation", "attempt_answer"]
