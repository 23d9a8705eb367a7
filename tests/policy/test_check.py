from __future__ import annotations

from pathlib import Path

import pytest
from factories import policy_source, rule

import relaydesk
from relaydesk.policy.check import check_policy, format_problems
from relaydesk.policy.compile import DEFAULT_POLICY_FILE
from relaydesk.policy.document import Problem
from relaydesk.signals.categories import load_categories

FILES = Path(__file__).parent / "files"
DEMO_CATEGORIES = Path(relaydesk.__file__).parent / "demo" / "categories.yaml"


def check_file(name: str, categories: list[str] | None = None) -> list[Problem]:
    return check_policy((FILES / name).read_text(encoding="utf-8"), categories)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("name", "rule_id", "line", "words"),
    [
        ("invalid_yaml.yaml", None, 11, "not valid YAML"),
        ("schema_route.yaml", "asked", 11, "then.route: Input should be 'ai_reply'"),
        ("unknown_fact.yaml", "asked", 9, "did you mean 'signals.human_request.value'?"),
        ("cel_syntax.yaml", "urgent-and", 15, "CEL syntax error"),
        ("no_owner.yaml", "nobody-owns-this", 12, "rule 'nobody-owns-this' has no owner"),
        ("shadowed.yaml", "urgent-and-unsure", 16, "can never fire"),
        ("conflict.yaml", "urgent", 15, "conflicts with 'confident-answer'"),
        ("duplicate_id.yaml", "asked", 12, "rule id 'asked' is used twice"),
        ("string_condition.yaml", "text-as-condition", 9, "not true or false"),
    ],
)  # fmt: skip
def test_each_defect_is_reported_with_its_rule_and_line(
    name: str, rule_id: str | None, line: int, words: str
) -> None:
    problems = check_file(name)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.rule, problem.severity, problem.line) == (rule_id, "error", line)
    assert words in problem.message


def test_a_threshold_for_an_unknown_category_suggests_the_right_one() -> None:
    problems = check_file("unknown_category.yaml", ["refunds", "billing", "fraud"])
    assert [(p.rule, p.severity, p.line) for p in problems] == [(None, "error", 7)]
    assert "'refund' is not one of the categories (did you mean 'refunds'?)" in problems[0].message


def test_categories_are_not_checked_without_a_list() -> None:
    assert check_file("unknown_category.yaml") == []


def test_an_unknown_high_risk_category_is_reported() -> None:
    source = policy_source(high_risk_categories=["fraud", "frod"])
    problems = check_policy(source, ["refunds", "fraud"])
    assert len(problems) == 1
    assert "high_risk_categories: 'frod'" in problems[0].message
    assert "did you mean 'fraud'?" in problems[0].message
    assert problems[0].line == source.splitlines().index("- frod") + 1


def test_the_shadowed_rule_names_the_rule_that_always_wins() -> None:
    (problem,) = check_file("shadowed.yaml")
    assert "'urgent' (earlier in the file) fires first" in problem.message


def test_the_conflict_gives_an_example_case() -> None:
    (problem,) = check_file("conflict.yaml")
    assert "ai_reply" in problem.message
    assert "handoff" in problem.message
    assert "attempt.confidence = 0.95" in problem.message
    assert "signals.urgency.value = true" in problem.message


def test_the_default_policy_has_no_errors_against_the_demo_categories() -> None:
    categories = [c.name for c in load_categories(DEMO_CATEGORIES)]
    source = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    problems = check_policy(source, categories)
    assert errors(problems) == []


def test_a_rule_that_only_looks_shadowed_is_not_reported() -> None:
    source = policy_source(
        rule("asked", "signals.human_request.value"),
        rule("urgent", "signals.urgency.value"),
    )
    assert check_policy(source) == []


def test_a_conflict_at_different_priorities_is_not_reported() -> None:
    source = policy_source(
        rule("confident-answer", "attempt.confidence > 0.9", route="ai_reply", priority=10),
        rule("urgent", "signals.urgency.value"),
    )
    assert check_policy(source) == []


def test_rules_that_never_match_together_do_not_conflict() -> None:
    source = policy_source(
        rule("confident-answer", "attempt.confidence > 0.9", route="ai_reply"),
        rule("unsure", "attempt.confidence < 0.5"),
    )
    assert check_policy(source) == []


def test_a_higher_rule_that_always_fires_first_hides_a_conflict() -> None:
    source = policy_source(
        rule("urgent", "signals.urgency.value"),
        rule("confident-answer", "attempt.confidence > 0.9 && signals.urgency.value",
             route="ai_reply"),
        rule("frustrated", "signals.frustration.value"),
    )  # fmt: skip
    problems = check_policy(source)
    assert [(p.rule, p.severity) for p in problems] == [("confident-answer", "error")]
    assert "can never fire" in problems[0].message


def test_a_rule_covered_by_two_rules_together_names_both() -> None:
    source = policy_source(
        rule("urgent", "signals.urgency.value"),
        rule("frustrated", "signals.frustration.value"),
        rule("either", "signals.urgency.value || signals.frustration.value"),
    )
    (problem,) = check_policy(source)
    assert problem.rule == "either"
    assert "one of 'urgent' (earlier in the file), 'frustrated' (earlier in the file)" in (
        problem.message
    )


def test_a_higher_priority_rule_shadows_one_earlier_in_the_file() -> None:
    source = policy_source(
        rule("urgent-and-unsure", "signals.urgency.value && attempt.confidence < 0.5"),
        rule("urgent", "signals.urgency.value", priority=5),
    )
    (problem,) = check_policy(source)
    assert problem.rule == "urgent-and-unsure"
    assert "'urgent' (priority 5) fires first" in problem.message


def test_derived_policy_values_follow_the_category() -> None:
    # refunds is the only category whose bar (0.8) is above 0.7, so the second rule is covered.
    source = policy_source(
        rule("strict-bar", "policy.threshold > 0.7"),
        rule("refunds", "signals.category.name == 'refunds'"),
    )
    (problem,) = check_policy(source, ["refunds", "orders", "fraud"])
    assert (problem.rule, problem.severity) == ("refunds", "error")
    assert "'strict-bar'" in problem.message


def test_a_rule_that_is_never_true_is_a_warning() -> None:
    source = policy_source(
        rule("impossible", "signals.amount.value > 100.0 && signals.amount.value < 50.0")
    )
    (problem,) = check_policy(source)
    assert (problem.rule, problem.severity) == ("impossible", "warning")
    assert "never true" in problem.message


def test_a_condition_that_always_fails_is_an_error() -> None:
    (problem,) = check_policy(policy_source(rule("broken", "1 / 0 == 1")))
    assert (problem.rule, problem.severity) == ("broken", "error")
    assert "always fails" in problem.message


def test_a_missing_attribute_key_is_a_warning() -> None:
    (problem,) = check_policy(policy_source(rule("gold", "customer.attributes.plan == 'gold'")))
    assert (problem.rule, problem.severity) == ("gold", "warning")
    assert "customer.attributes.plan = (not set)" in problem.message


def test_a_duplicate_key_names_the_rule() -> None:
    source = policy_source(rule("asked", "signals.human_request.value"))
    source = source.replace(
        "  when: signals.human_request.value\n",
        "  when: signals.human_request.value\n  when: signals.urgency.value\n",
    )
    (problem,) = check_policy(source)
    assert problem.rule == "asked"
    assert "is given twice" in problem.message


def test_above_the_cap_the_search_samples_and_says_so() -> None:
    # A sum settles nothing until every term is chosen, so the search cannot cut corners.
    source = policy_source(
        rule("busy", "attempt.confidence + attempt.coverage + signals.amount.value > 1.0"),
        rule("all-high", "attempt.confidence > 0.5 && attempt.coverage > 0.5 "
                         "&& signals.amount.value > 0.5"),
    )  # fmt: skip
    (exact,) = check_policy(source)
    assert (exact.rule, exact.severity) == ("all-high", "error")
    assert "'busy' (earlier in the file) fires first" in exact.message
    (sampled,) = check_policy(source, max_cases=50)
    assert (sampled.rule, sampled.severity) == ("all-high", "warning")
    assert "in 50 sampled cases" in sampled.message
    assert "'busy' (earlier in the file) fired first" in sampled.message


def test_format_problems() -> None:
    problems = [
        Problem("rule 'b' can never fire", 12, "b"),
        Problem("rule 'c': its condition is never true", 20, "c", "warning"),
        Problem("not valid YAML"),
    ]
    assert format_problems(problems, "policy.yaml").splitlines() == [
        "policy.yaml:12: error: rule 'b' can never fire",
        "policy.yaml:20: warning: rule 'c': its condition is never true",
        "policy.yaml: error: not valid YAML",
        "policy.yaml: 2 errors, 1 warning",
    ]
    assert format_problems([], "policy.yaml") == "policy.yaml: no problems found"
