"""The AI attempt: a grounded answer with citations and a confidence, or an honest none."""

from relaydesk.resolver.attempt import Attempt, Citation, attempt_answer

__all__ = ["Attempt", "Citation", "attempt_answer"]
