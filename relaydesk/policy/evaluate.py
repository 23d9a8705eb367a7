"""Evaluation: facts + policy → decision. Pure: no database, clock or network.

Rules are tried in order. Every rule that fires is recorded with its reason; the first one
decides the route. When none fires, the policy's ``otherwise`` rule decides. A rule that raises
hands the conversation to a person (fail safe) and the decision says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relaydesk.policy.decision import Decision, MatchedRule, Route

Facts = Mapping[str, Any]
# A condition returns why it fired (a sentence for the decision record), or None.
Condition = Callable[[Facts, "Policy"], str | None]


@dataclass(frozen=True)
class Rule:
    id: str
    owner: str
    description: str
    when: Condition
    route: Route
    team: str | None = None
    priority: str = "normal"


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    owner: str
    rules: tuple[Rule, ...]
    otherwise: Rule
    thresholds: Mapping[str, float] = field(default_factory=dict)
    default_threshold: float = 0.6
    fail_safe_team: str = "frontline"

    def threshold_for(self, category: str) -> float:
        return self.thresholds.get(category, self.default_threshold)


def fail_safe_decision(policy: Policy, rule_id: str, error: BaseException) -> Decision:
    reason = f"{rule_id} failed ({type(error).__name__}: {error}); a person takes over"
    return Decision(
        route=Route.HANDOFF,
        team=policy.fail_safe_team,
        priority="high",
        matched_rules=(
            MatchedRule(id=rule_id, owner=policy.owner, description="fail safe", reason=reason),
        ),
        policy_name=policy.name,
        policy_version=policy.version,
    )


def decide(facts: Facts, policy: Policy) -> Decision:
    matched: list[tuple[Rule, str]] = []
    for rule in policy.rules:
        try:
            reason = rule.when(facts, policy)
        except Exception as error:
            return fail_safe_decision(policy, rule.id, error)
        if reason is not None:
            matched.append((rule, reason))
    if not matched:
        try:
            matched.append((policy.otherwise, policy.otherwise.when(facts, policy) or "otherwise"))
        except Exception as error:
            return fail_safe_decision(policy, policy.otherwise.id, error)
    deciding = matched[0][0]
    category = facts["signals"]["category"]["name"]
    return Decision(
        route=deciding.route,
        team=deciding.team,
        priority=deciding.priority,
        matched_rules=tuple(
            MatchedRule(id=r.id, owner=r.owner, description=r.description, reason=why)
            for r, why in matched
        ),
        thresholds={category: policy.threshold_for(category)},
        policy_name=policy.name,
        policy_version=policy.version,
    )
