"""The message path's guarantees when a stage or the policy misbehaves."""

from __future__ import annotations

from dataclasses import replace

from factories import policy_source, rule, turn

from relaydesk.conversations.models import Source
from relaydesk.knowledge.index import Hit
from relaydesk.pipeline import Parts, run
from relaydesk.policy import Route, compile_policy


class BrokenIndex:
    passages: list[object] = []
    embedder = None

    def search(self, query: str, k: int = 5) -> list[Hit]:
        raise RuntimeError("index file is corrupt")


def test_a_failing_stage_hands_over_and_says_why(parts: Parts) -> None:
    broken = replace(parts, knowledge=BrokenIndex())  # type: ignore[arg-type]
    outcome = run(turn("How do I reset my password?"), broken)
    assert outcome.decision.route == Route.HANDOFF
    assert "index file is corrupt" in outcome.decision.matched_rules[0].reason
    assert outcome.handoff is not None
    assert "won't need to repeat" in outcome.handoff.text


def test_a_failing_stage_stays_silent_when_a_person_has_the_conversation(parts: Parts) -> None:
    broken = replace(parts, knowledge=BrokenIndex())  # type: ignore[arg-type]
    outcome = run(turn("hello?", handed_over=True), broken)
    assert outcome.silent
    assert outcome.handoff is None


def test_a_policy_cannot_send_an_ai_reply_without_an_answer(parts: Parts) -> None:
    policy = compile_policy(policy_source(rule("always-ai", "true", route="ai_reply")))
    outcome = run(turn("What's the weather in Paris?"), replace(parts, policy=policy))
    assert outcome.decision.route == Route.HANDOFF
    assert outcome.decision.matched_rules[0].id == "always-ai"
    assert "no answer" in outcome.decision.matched_rules[0].reason
    assert outcome.reply is None
    assert outcome.handoff is not None


def test_a_restated_ask_counts_as_a_repeat_on_the_path(parts: Parts) -> None:
    """The path compares meanings with the knowledge index's embedder (MiniLM in the demo):
    the words differ, so the lexical match alone would not count this one."""
    assert parts.knowledge.embedder is not None
    asked = (Source.CUSTOMER, "how do I reset my password")
    answered = (Source.AI_AGENT, "Choose 'Forgot password' on the login page.")
    again = run(turn("I cannot log in, I forgot my password", asked, answered), parts)
    assert again.facts["signals"]["repeat_ask"]["count"] == 1
    other = run(turn("how do I change my email address", asked, answered), parts)
    assert other.facts["signals"]["repeat_ask"]["count"] == 0
