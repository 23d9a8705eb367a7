"""The pure parts of the workspace: the packet panel, transcript lines, times, the throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from relaydesk.conversations.models import Event, EventKind, Source
from relaydesk.queue.models import Agent, AgentRole
from relaydesk.workspace import packet, transcript
from relaydesk.workspace.auth import GRANTS, Permission, SignInThrottle, can
from relaydesk.workspace.render import Clock, safe_url, sla_text, span

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PACKET: dict[str, Any] = {
    "summary": 'Dana (VIP) asked: "where is my refund?".',
    "locale": "de",
    "customer": {"id": "c1", "tier": "vip", "vip": True, "attributes": {"plan": "pro"},
                 "recent_recontacts": 2, "open_conversations": 1},
    "messages": ["where is my refund?"],
    "signals": [
        {"name": "category", "value": "refunds", "score": 0.91, "evidence": ["refund"]},
        {"name": "frustration", "value": True, "score": 0.7, "evidence": ["third time"]},
    ],
    "decision": {"route": "handoff", "team": "billing", "priority": "high",
                 "rules": [{"id": "vip-first", "owner": "cx-lead", "description": "VIPs get people",
                            "why": "customer.vip is true"}],
                 "policy_name": "default", "policy_version": "7", "arm": None},
    "ai_attempt": {"has_answer": False, "answer": None, "confidence": 0.2, "coverage": 0.1,
                   "articles": [{"title": "Refunds", "heading": "Timing", "url": "https://kb/x",
                                 "rank": 1, "cited": False, "relevant": True}]},
    "wait": {"team": "billing", "label": "Billing", "open": True, "staffed": True, "minutes": 4},
    "suggested_next_steps": ["Check the refund in the payment system."],
}  # fmt: skip


def sources(**given: Any) -> packet.Sources:
    fields: dict[str, Any] = {
        "packet": None,
        "decision": None,
        "facts": {},
        "handoff": {},
        "customer": {"name": "Dana", "email": "dana@example.com", "tier": None, "attributes": {}},
    }
    return packet.Sources(**(fields | given))


def test_a_full_packet_fills_every_section() -> None:
    panel = packet.build(sources(packet=PACKET))
    assert panel.has_packet
    assert panel.summary == PACKET["summary"]
    assert ("Reply in", "de") in panel.customer
    assert ("VIP", "yes") in panel.customer
    assert panel.badges == ("VIP", "2 recontacts this week")
    assert panel.signals[0] == packet.SignalView("Category", "refunds (0.91)", ("refund",))
    assert panel.rules == (packet.RuleView("vip-first", "cx-lead", "customer.vip is true",
                                           "VIPs get people"),)  # fmt: skip
    assert (panel.route, panel.priority, panel.policy) == ("handoff", "high", "default 7")
    assert panel.articles == (packet.ArticleView("Refunds", "Timing", "https://kb/x",
                                                 "#1 · relevant"),)  # fmt: skip
    assert panel.wait == "about 4 minutes (Billing)"
    assert panel.steps == ("Check the refund in the payment system.",)
    assert panel.more == ()


def test_odd_shapes_and_unknown_keys_are_shown_not_dropped() -> None:
    odd = {
        "summary": {"text": "short"},
        "signals": {"urgency": {"value": True, "evidence": "asap"}, "repeat_ask": 2},
        "suggested_next_steps": [{"text": "Call back", "why": "they asked"}, "", None],
        "wait": 7,
        "sentiment_trend": [0.1, 0.5],
    }
    panel = packet.build(sources(packet=odd))
    assert panel.summary == "short"
    assert panel.signals == (
        packet.SignalView("Urgency", "yes", ("asap",)),
        packet.SignalView("Repeat ask", "2"),
    )
    assert panel.steps == ("Call back — they asked",)
    assert panel.wait == "about 7 minutes"
    assert panel.more == (("Sentiment trend", "0.10, 0.50"),)


def test_without_a_packet_the_decision_and_its_facts_fill_in() -> None:
    decision = {"route": "handoff", "priority": "normal", "policy_name": "default",
                "policy_version": "3",
                "matched_rules": [{"id": "asked", "owner": "qa", "reason": "asked for a person",
                                   "description": "people on request"}]}  # fmt: skip
    facts = {
        "signals": {
            "category": {"name": "orders", "confidence": 0.4},
            "human_request": {"value": True, "score": 1.0, "evidence": ["a real person"]},
            "legal_threat": {"value": False, "score": 0.0, "evidence": []},
        },
        "customer": {"tier": "gold", "vip": False, "recent_recontacts": 0},
        "attempt": {"has_answer": False, "confidence": 0.0},
    }
    handoff = {"ask": "a person please", "checked": ["Returns"], "priority": "normal"}
    panel = packet.build(sources(decision=decision, facts=facts, handoff=handoff))
    assert not panel.has_packet
    assert panel.summary == 'The customer asked: "a person please"'
    assert [s.name for s in panel.signals] == ["Category", "Human request"]
    assert panel.rules[0].why == "asked for a person"
    assert panel.articles == (packet.ArticleView("Returns", note="checked"),)
    assert ("Tier", "gold") in panel.customer
    assert panel.badges == ()


def test_nothing_at_all_is_an_empty_panel() -> None:
    panel = packet.build(sources(customer={}))
    assert panel == packet.Panel(has_packet=False)


def event(kind: str, source: str = Source.SYSTEM, **fields: Any) -> Event:
    defaults: dict[str, Any] = {"id": 1, "conversation_id": "c", "created_at": T0, "payload": {}}
    return Event(kind=kind, source=source, **(defaults | fields))


def test_transcript_styles_by_kind_and_source() -> None:
    names = {"a1": "Maya"}
    events = [
        event(EventKind.MESSAGE_IN, Source.CUSTOMER, id=1, text="hi"),
        event(EventKind.MESSAGE_OUT, Source.AI_AGENT, id=2, text="answer",
              payload={"citations": [{"title": "Reset", "heading": "Steps", "url": None}]}),
        event(EventKind.HANDOFF, Source.AI_AGENT, id=3, payload={"team": "billing"}),
        event(EventKind.ASSIGNMENT, Source.HUMAN_AGENT, id=4, actor="a1",
              payload={"action": "claimed", "agent_id": "a1"}),
        event(EventKind.NOTE, Source.HUMAN_AGENT, id=5, actor="a1", text="psst",
              payload={"agent": {"name": "Maya"}}),
        event(EventKind.MESSAGE_OUT, Source.HUMAN_AGENT, id=6, actor="a1", text="hello",
              payload={"agent": {"name": "Maya"}}),
        event(EventKind.FLAG, Source.HUMAN_AGENT, id=7, actor="a1", caused_by=2, text="stale"),
        event(EventKind.MESSAGE_IN, Source.DELEGATED_AGENT, id=8, text="on behalf"),
    ]  # fmt: skip
    items = transcript.items(events, names, "Dana", {"billing": "Billing"})
    assert [i.style for i in items] == [
        "customer", "ai", "handoff", "system", "note", "human", "flag", "customer",
    ]  # fmt: skip
    assert items[1].citations == (transcript.CitationView("Reset", "Steps", None),)
    assert items[1].flaggable
    assert items[1].flags == ("stale",)
    assert items[2].who == "Handed over to Billing · normal priority"
    assert items[3].text == "Maya claimed it"
    assert items[4].who == "Internal note · Maya"
    assert items[6].text == "Maya marked an AI answer as wrong: stale"
    assert items[7].who == "AI agent for the customer"


@pytest.mark.parametrize(
    ("kind", "payload", "line"),
    [
        (EventKind.ASSIGNMENT, {"action": "transferred", "agent_id": "a1", "from_team": "billing",
                                "to_team": "senior"}, "Maya transferred it from Billing to senior"),
        (EventKind.ASSIGNMENT, {"action": "handed_back_to_ai", "agent_id": "zz"},
         "an agent handed it back to the AI"),
        (EventKind.STATUS_CHANGE, {"from": "open", "to": "waiting_for_human", "why": "handed over"},
         "Status: open → waiting for human (handed over)"),
        (EventKind.DECISION, {"decision": {"route": "ai_reply", "matched_rules": [
            {"id": "answer", "owner": "kb"}], "policy_version": "4"}},
         "Decision: ai reply · rule answer (owner kb) · policy 4"),
        (EventKind.DECISION, {}, "Decision recorded"),
    ],
)  # fmt: skip
def test_system_lines(kind: str, payload: dict[str, Any], line: str) -> None:
    described = transcript.describe(
        event(kind, payload=payload), {"a1": "Maya"}, {"billing": "Billing"}
    )
    assert described == line


def test_times_read_like_people_say_them() -> None:
    clock = Clock(T0)
    assert clock.ago(T0 - timedelta(seconds=10)) == "just now"
    assert clock.ago(T0 - timedelta(minutes=4, seconds=20)) == "4 min ago"
    assert clock.ago(T0 - timedelta(hours=2, minutes=5)) == "2 h 5 min ago"
    assert clock.ago(T0 - timedelta(days=3)) == "3 d ago"
    assert clock.exact(T0) == "2026-03-02 09:00 UTC"
    assert clock.iso(T0) == "2026-03-02T09:00:00+00:00"
    assert span(30) == "under a minute"
    assert span(3600) == "1 h"


def test_sla_text() -> None:
    assert sla_text("ok", 600) == "10 min left"
    assert sla_text("breached", -120) == "breached 2 min ago"
    assert sla_text("met", None) == "met"
    assert sla_text("ok", None) == "no target"


def test_only_web_and_site_links_are_links() -> None:
    assert safe_url("https://kb.example/a") == "https://kb.example/a"
    assert safe_url("/kb/a") == "/kb/a"
    for bad in ("javascript:alert(1)", "//evil.example", "data:text/html,x", None, ""):
        assert safe_url(bad) is None


def test_the_throttle_forgets_after_its_window() -> None:
    now = [0.0]
    throttle = SignInThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("k") is None
        throttle.failed("k")
    assert throttle.retry_after("k") == 60
    now[0] = 30
    assert throttle.retry_after("k") == 30
    assert throttle.retry_after("other") is None
    now[0] = 61
    assert throttle.retry_after("k") is None
    throttle.failed("k")
    throttle.succeeded("k")
    assert throttle.retry_after("k") is None


def test_the_throttle_holds_a_bounded_number_of_keys() -> None:
    throttle = SignInThrottle(limit=2, window=60, clock=lambda: 0.0, max_keys=3)
    for key in "abcde":
        throttle.failed(key)
    assert len(throttle._failures) <= 3


@pytest.mark.parametrize("role", list(AgentRole))
def test_roles_in_one_table(role: AgentRole) -> None:
    agent = Agent(name="x", email="x@example.com", role=role)
    allowed = {permission for permission in Permission if can(agent, permission)}
    expected = {p for p, roles in GRANTS.items() if role in roles}
    assert allowed == expected
    assert (Permission.REVIEW_FLAGS in allowed) == (role in ("qa", "knowledge_ops", "admin"))
    assert (Permission.REASSIGN in allowed) == (role == "admin")
