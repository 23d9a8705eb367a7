"""Evaluation: facts + compiled policy → decision. Pure: no database, clock or network.

Every condition runs at once (one CEL program, in precedence order). Every rule that fires is
recorded with why; the first one decides. When none fires, the policy's ``otherwise`` decides.
A condition that errors at run time, or gives something other than true/false, hands the
conversation to a person (fail safe) and the decision names the rule and the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relaydesk.policy.compile import PLACEHOLDER, CompiledRule, Policy, template_paths
from relaydesk.policy.decision import Decision, MatchedRule, Route
from relaydesk.policy.expressions import readable
from relaydesk.policy.facts import lookup

Facts = Mapping[str, Any]


class RuleFailed(Exception):
    def __init__(self, rule_id: str, error: str) -> None:
        self.rule_id = rule_id
        super().__init__(error)


def policy_values(facts: Facts, policy: Policy) -> dict[str, Any]:
    """The derived ``policy.*`` facts for this message under this policy."""
    category = lookup(facts, ("signals", "category", "name"))
    values: dict[str, Any] = {
        "policy.threshold": policy.threshold_for(category),
        "policy.high_risk": policy.is_high_risk(category),
    }
    for name, limit in policy.document.limits.items():
        values[f"policy.limits.{name}"] = limit
    return values


def _variables(facts: Facts, policy: Policy, derived: dict[str, Any]) -> dict[str, Any]:
    variables = {flat: lookup(facts, path) for flat, path in policy.reads}
    for path in policy.reads_policy:
        variables["_f__" + path.replace(".", "__")] = derived[path]
    return variables


def _fired(policy: Policy, variables: dict[str, Any]) -> list[bool]:
    try:
        results = policy.program.execute(variables)
    except Exception:
        results = None
    if results is not None and all(type(r) is bool for r in results):
        return results  # type: ignore[no-any-return]
    # Something failed: find the first rule, in precedence order, that did.
    fired = []
    for rule in policy.rules:
        try:
            result = rule.program.execute(variables)
        except Exception as error:
            raise RuleFailed(rule.id, readable(f"{type(error).__name__}: {error}")) from None
        if type(result) is not bool:
            raise RuleFailed(rule.id, f"its condition gave {result!r}, not true or false")
        fired.append(result)
    return fired


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(f"'{v}'" for v in value) or "none"
    if isinstance(value, str):
        return f"'{value}'"
    return "null" if value is None else str(value)


def _value(facts: Facts, derived: dict[str, Any], path: str) -> Any:
    if path in derived:
        return derived[path]
    try:
        return lookup(facts, tuple(path.split(".")))
    except KeyError:
        return None


def explain(
    template: str | None, reads: tuple[str, ...], facts: Facts, derived: dict[str, Any]
) -> str:
    """Why a rule fired, in the facts' own words."""
    if template is not None:
        return PLACEHOLDER.sub(
            lambda m: _show(_value(facts, derived, m.group(1))), template
        ).strip()
    parts = []
    for path in reads:
        parts.append(f"{path} = {_show(_value(facts, derived, path))}")
        if path.endswith(".value") and path.startswith("signals."):
            evidence = _value(facts, derived, path.removesuffix(".value") + ".evidence")
            if evidence:
                parts.append(f"evidence: {_show(evidence)}")
    return "; ".join(parts)


def fail_safe_decision(
    policy: Policy, rule_id: str, error: BaseException | str, arm: str | None = None
) -> Decision:
    reason = f"{rule_id} failed ({error}); a person takes over"
    if isinstance(error, BaseException):
        reason = f"{rule_id} failed ({type(error).__name__}: {error}); a person takes over"
    return Decision.model_construct(
        route=Route.HANDOFF,
        team=policy.fail_safe_team,
        priority=policy.document.fail_safe.priority,
        matched_rules=(
            MatchedRule(id=rule_id, owner=policy.owner, description="fail safe", reason=reason),
        ),
        thresholds={},
        policy_name=policy.name,
        policy_version=policy.version,
        policy_hash=policy.hash,
        arm=arm,
        message=None,
    )


def _matched(rule: CompiledRule, facts: Facts, derived: dict[str, Any]) -> MatchedRule:
    return MatchedRule.model_construct(
        id=rule.id,
        owner=rule.owner,
        description=rule.description,
        reason=explain(rule.because, rule.reads, facts, derived),
    )


def decide(facts: Facts, policy: Policy, arm: str | None = None) -> Decision:
    try:
        derived = policy_values(facts, policy)
        fired = _fired(policy, _variables(facts, policy, derived))
    except RuleFailed as failure:
        return fail_safe_decision(policy, failure.rule_id, str(failure), arm)
    except KeyError as missing:
        return fail_safe_decision(policy, "facts", str(missing.args[0]), arm)
    matched = [
        _matched(rule, facts, derived) for rule, hit in zip(policy.rules, fired, strict=True) if hit
    ]
    if matched:
        deciding = policy.rules[fired.index(True)].then
    else:
        otherwise = policy.otherwise
        deciding = otherwise.then
        reason = explain(
            otherwise.because, tuple(template_paths(otherwise.because or "")), facts, derived
        )
        matched = [
            MatchedRule.model_construct(
                id=otherwise.id,
                owner=otherwise.owner,
                description=otherwise.description,
                reason=reason or "no rule fired",
            )
        ]
    category = facts["signals"]["category"]["name"]
    return Decision.model_construct(
        route=deciding.route,
        team=deciding.team,
        priority=deciding.priority,
        matched_rules=tuple(matched),
        thresholds={category: derived["policy.threshold"]},
        policy_name=policy.name,
        policy_version=policy.version,
        policy_hash=policy.hash,
        arm=arm,
        message=deciding.message,
    )
