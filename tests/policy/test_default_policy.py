from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from factories import policy_source, rule, turn

from relaydesk.conversations.models import Source
from relaydesk.pipeline import Parts, run
from relaydesk.policy import Route, compile_policy, decide


def route_of(parts: Parts, text: str, **kwargs: Any) -> tuple[Route, str | None, list[str]]:
    decision = run(turn(text, **kwargs), parts).decision
    return decision.route, decision.team, [rule.id for rule in decision.matched_rules]


@pytest.mark.parametrize(
    ("text", "route", "team", "first_rule"),
    [
        ("How do I reset my password?", Route.AI_REPLY, None, "ai-answers"),
        ("Do you ship to Australia?", Route.AI_REPLY, None, "ai-answers"),
        ("How do I reset my password? Actually let me talk to a human", Route.HANDOFF,
         "frontline", "person-on-request"),
        ("I want your manager", Route.HANDOFF, "senior", "manager-or-legal"),
        ("I will take legal action over this", Route.HANDOFF, "senior", "manager-or-legal"),
        ("Please close my account", Route.HANDOFF, "specialists", "high-risk-category"),
        ("Someone used my card without permission", Route.HANDOFF, "specialists",
         "high-risk-category"),
        ("What's the weather in Paris?", Route.HANDOFF, "frontline", "no-answer"),
    ],
)  # fmt: skip
def test_default_policy_routes(
    parts: Parts, text: str, route: Route, team: str | None, first_rule: str
) -> None:
    got_route, got_team, rules = route_of(parts, text)
    assert (got_route, got_team, rules[0]) == (route, team, first_rule)


def test_frustration_hands_over_even_when_the_ai_has_an_answer(parts: Parts) -> None:
    text = "THIS IS RIDICULOUS!! How do I reset my password, useless site"
    outcome = run(turn(text), parts)
    assert outcome.facts["attempt"]["has_answer"]
    assert outcome.decision.route == Route.HANDOFF
    assert outcome.decision.matched_rules[0].id == "frustrated-or-repeating"


def test_third_repeated_ask_hands_over(parts: Parts) -> None:
    ask = "how do I reset my password"
    answer = "Go to the login page and select Forgot password."
    history = [(Source.CUSTOMER, ask), (Source.AI_AGENT, answer)] * 2
    decision = run(turn(ask, *history), parts).decision
    assert decision.route == Route.HANDOFF
    assert "signals.repeat_ask.count = 2" in decision.matched_rules[0].reason


def test_a_person_owning_the_conversation_silences_the_ai(parts: Parts) -> None:
    outcome = run(turn("How do I reset my password?", handed_over=True), parts)
    assert outcome.decision.matched_rules[0].id == "already-with-person"
    assert outcome.silent
    assert outcome.reply is None
    assert outcome.handoff is None


def test_every_decision_names_its_policy_and_rules(parts: Parts) -> None:
    decision = run(turn("Can I speak to a person?"), parts).decision
    assert decision.policy_name == "default"
    assert decision.policy_version == parts.policy.version
    assert decision.policy_hash == parts.policy.hash
    assert all(rule.owner and rule.reason for rule in decision.matched_rules)
    assert decision.matched_rules[0].reason == "customer asked for a person: 'speak to a person'"


def test_a_refund_over_the_limit_goes_to_billing(parts: Parts) -> None:
    decision = run(turn("I want a refund of $250 for my damaged shoes"), parts).decision
    assert (decision.route, decision.team) == (Route.HANDOFF, "billing")
    assert decision.matched_rules[0].id == "refund-over-limit"
    assert "'$250' is over the limit of 100" in decision.matched_rules[0].reason


def test_a_small_refund_is_not_caught_by_the_limit(parts: Parts) -> None:
    decision = run(turn("I want a refund of $40 for my damaged shoes"), parts).decision
    assert "refund-over-limit" not in [rule.id for rule in decision.matched_rules]


def test_an_angry_third_ask_names_the_frustration_rule(parts: Parts) -> None:
    ask = "how do I reset my password"
    answer = "Go to the login page and select Forgot password."
    history = [(Source.CUSTOMER, ask), (Source.AI_AGENT, answer)] * 2
    angry = "This is RIDICULOUS, third time: how do I reset my password??!!"
    decision = run(turn(angry, *history), parts).decision
    assert (decision.route, decision.team) == (Route.HANDOFF, "frontline")
    assert decision.matched_rules[0].id == "frustrated-or-repeating"
    assert "signals.frustration.value = true" in decision.matched_rules[0].reason


def test_asking_for_a_person_hands_over_every_time(parts: Parts) -> None:
    asks = [
        "I want a human",
        "How do I reset my password? Actually let me talk to a human",
        "stop and let me talk to a real person",
        "Where is my order SR-10442? I want to speak to someone",
    ]
    for ask in asks:
        for _ in range(3):
            decision = run(turn(ask), parts).decision
            assert decision.route == Route.HANDOFF, ask
            assert "person-on-request" in [rule.id for rule in decision.matched_rules], ask


def test_a_rule_that_errors_at_run_time_hands_over_and_says_so(parts: Parts) -> None:
    source = policy_source(rule("plan", 'customer.attributes.plan == "pro"', route="ai_reply"))
    policy = compile_policy(source)
    facts = run(turn("How do I reset my password?"), parts).facts
    decision = decide(facts, policy)
    assert decision.route == Route.HANDOFF
    assert decision.team == "frontline"
    assert decision.matched_rules[0].id == "plan"
    assert "plan" in decision.matched_rules[0].reason
    assert "a person takes over" in decision.matched_rules[0].reason


def test_a_condition_that_is_not_true_or_false_fails_safe(parts: Parts) -> None:
    policy = compile_policy(policy_source(rule("text", "message.text", route="ai_reply")))
    facts = run(turn("How do I reset my password?"), parts).facts
    decision = decide(facts, policy)
    assert decision.route == Route.HANDOFF
    assert "not true or false" in decision.matched_rules[0].reason


def test_priority_beats_file_order(parts: Parts) -> None:
    source = policy_source(
        rule("first-in-file", "signals.human_request.value", team="frontline"),
        rule("higher", "signals.human_request.value", team="senior", priority=5),
    )
    decision = decide(run(turn("I want a human"), parts).facts, compile_policy(source))
    assert [r.id for r in decision.matched_rules] == ["higher", "first-in-file"]
    assert decision.team == "senior"


def test_otherwise_decides_only_when_no_rule_fired(parts: Parts) -> None:
    decision = run(turn("How do I reset my password?"), parts).decision
    assert [rule.id for rule in decision.matched_rules] == ["ai-answers"]
    assert "meets the 'account' threshold 0.70" in decision.matched_rules[0].reason


def test_ask_clarifying_replies_with_the_rules_question(parts: Parts) -> None:
    question = "Which order is this about?"
    when = "message.length < 20"
    source = policy_source(rule("vague", when, route="ask_clarifying", message=question))
    outcome = run(turn("it broke"), replace(parts, policy=compile_policy(source)))
    assert outcome.decision.route == Route.ASK_CLARIFYING
    assert outcome.reply is not None
    assert outcome.reply.text == question
    assert outcome.handoff is None
