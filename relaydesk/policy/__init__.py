"""The routing policy: rules over a documented namespace of facts, and the decisions they make."""

from relaydesk.policy.decision import Decision, MatchedRule, Route
from relaydesk.policy.evaluate import Policy, Rule, decide, fail_safe_decision
from relaydesk.policy.facts import build_facts

__all__ = [
    "Decision",
    "MatchedRule",
    "Policy",
    "Route",
    "Rule",
    "build_facts",
    "decide",
    "fail_safe_decision",
]
