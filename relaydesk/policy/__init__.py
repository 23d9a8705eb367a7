"""The routing policy: a versioned YAML file of CEL rules over documented facts, its
evaluation, the decisions it makes and their records."""

from relaydesk.policy.compile import (
    DEFAULT_POLICY_FILE,
    Policy,
    PolicyInvalid,
    compile_policy,
    load_policy_file,
)
from relaydesk.policy.decision import Decision, MatchedRule, Route
from relaydesk.policy.evaluate import decide, fail_safe_decision
from relaydesk.policy.facts import build_facts

__all__ = [
    "DEFAULT_POLICY_FILE",
    "Decision",
    "MatchedRule",
    "Policy",
    "PolicyInvalid",
    "Route",
    "build_facts",
    "compile_policy",
    "decide",
    "fail_safe_decision",
    "load_policy_file",
]
