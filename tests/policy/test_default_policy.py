from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from factories import turn

from relaydesk.conversations.models import Source
from relaydesk.pipeline import Parts, run
from relaydesk.policy import Route, Rule, decide
from relaydesk.policy.default import DEFAULT_POLICY


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
    assert "3 times" in decision.matched_rules[0].reason


def test_a_person_owning_the_conversation_silences_the_ai(parts: Parts) -> None:
    outcome = run(turn("How do I reset my password?", handed_over=True), parts)
    assert outcome.decision.matched_rules[0].id == "already-with-person"
    assert outcome.silent
    assert outcome.reply is None
    assert outcome.handoff is None


def test_every_decision_names_its_policy_and_rules(parts: Parts) -> None:
    decision = run(turn("Can I speak to a person?"), parts).decision
    assert decision.policy_name == "default"
    assert decision.policy_version == DEFAULT_POLICY.version
    assert all(rule.owner and rule.reason for rule in decision.matched_rules)


def test_a_rule_that_raises_hands_over_and_says_so(parts: Parts) -> None:
    def broken(facts: Any, policy: Any) -> str | None:
        return facts["signals"]["no_such_signal"]["value"]  # type: ignore[no-any-return]

    policy = replace(
        DEFAULT_POLICY,
        rules=(Rule("broken", "qa", "always raises", broken, Route.AI_REPLY),),
    )
    facts = run(turn("How do I reset my password?"), parts).facts
    decision = decide(facts, policy)
    assert decision.route == Route.HANDOFF
    assert decision.matched_rules[0].id == "broken"
    assert "KeyError" in decision.matched_rules[0].reason


def test_otherwise_decides_only_when_no_rule_fired(parts: Parts) -> None:
    decision = run(turn("How do I reset my password?"), parts).decision
    assert [rule.id for rule in decision.matched_rules] == ["ai-answers"]
