"""The customer-facing handoff: their ask in their words, what was checked, who, how long.

Nothing here is invented: "what was checked" names only articles the AI read that bear on the
question (``relevance``), the team is named by its label in the teams file, and the wait is
the live estimate taken when the message arrived, or nothing when there is none. The wording
comes from the locale's templates (``templates``); a frustrated or repeating customer hears an
apology first, and a shorter message.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from relaydesk.conversations.turn import Turn
from relaydesk.handoff.relevance import relevant_titles
from relaydesk.handoff.templates import Pieces, Templates, shipped_templates
from relaydesk.policy.decision import Decision
from relaydesk.queue.wait import WaitEstimate
from relaydesk.resolver.types import ActionTaken, Attempt
from relaydesk.signals.types import Signals

MAX_QUOTE = 140
MAX_ARTICLES = 3
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")


class HandoffMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    team: str | None
    ask: str
    checked: tuple[str, ...] = ()  # titles of the relevant articles the AI read
    team_label: str = ""
    locale: str = "en"  # the locale the text is written in
    wait: WaitEstimate | None = None  # the estimate the text gives, if any
    actions: tuple[str, ...] = ()  # what the AI already did, or asked a person to approve


def quote_ask(text: str, avoid: tuple[str, ...] = ()) -> str:
    """The customer's own words, trimmed to one readable sentence.

    A sentence holding any of ``avoid`` (the words that made the message read as frustrated)
    is passed over while another remains: "This is RIDICULOUS!! Where is my refund?" quotes
    the question, not the outburst.
    """
    flat = " ".join(text.split())
    sentences = [s for s in _FIRST_SENTENCE.split(flat) if s.strip()]
    calm = [s for s in sentences if not _holds(s, avoid)]
    sentences = calm or sentences
    # Prefer the first question, where most customers put their ask.
    ask = next((s for s in sentences if s.endswith("?")), sentences[0] if sentences else flat)
    if len(ask) > MAX_QUOTE:
        ask = ask[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"
    return ask


def _holds(sentence: str, words: tuple[str, ...]) -> bool:
    lowered = sentence.lower()
    return any(word.lower() in lowered for word in words)


def is_upset(signals: Signals) -> bool:
    return signals.frustration.value or signals.repeat_ask.count >= 2


def compose_handoff(
    turn: Turn,
    signals: Signals,
    attempt: Attempt,
    decision: Decision,
    templates: Templates | None = None,
) -> HandoffMessage:
    pieces = (templates or shipped_templates()).pick(turn.locale)
    ask = quote_ask(turn.text, avoid=signals.frustration.evidence)
    checked = relevant_titles(turn.text, attempt)
    wait = turn.waits.get(decision.team) if decision.team else None
    team = team_label(pieces, decision, wait)
    upset = is_upset(signals)
    sentences = [
        pieces.render("apology") if upset else "",
        pieces.render("handover", ask=ask, team=team) if ask else "",
        pieces.render("handover_plain", team=team) if not ask else "",
        "" if upset else checked_sentence(pieces, checked, team),
        *actions_sentences(pieces, attempt, team),
        pieces.render("urgent", team=team) if signals.urgency.value else "",
        wait_sentence(pieces, wait, turn.received_at, team),
        pieces.render("no_repeat_short" if upset else "no_repeat", team=team),
    ]
    return HandoffMessage(
        text=" ".join(s for s in sentences if s),
        team=decision.team,
        ask=ask,
        checked=checked,
        team_label=team,
        locale=pieces.locale,
        wait=wait,
        actions=tuple(action_phrase(a) for a in attempt.actions if a.status in SAID),
    )


SAID = ("ran", "awaiting_approval")  # a refused action is for the packet, not the customer


def action_phrase(action: ActionTaken) -> str:
    """The action and the arguments a customer recognises: refund (order SR-20417, 40.00)."""
    shown = [
        f"order {value}" if name == "order_id" else str(value)
        for name, value in action.arguments.items()
        if name in ("order_id", "amount", "email")
    ]
    words = action.action.replace("_", " ")
    return f"{words} ({', '.join(shown)})" if shown else words


def actions_sentences(pieces: Pieces, attempt: Attempt, team: str) -> list[str]:
    done = [action_phrase(a) for a in attempt.actions if a.status == "ran"]
    waiting = [action_phrase(a) for a in attempt.actions if a.status == "awaiting_approval"]
    return [
        pieces.render("actions_done", actions="; ".join(done), team=team) if done else "",
        pieces.render("actions_waiting", actions="; ".join(waiting), team=team) if waiting else "",
    ]


def plain_handoff(
    turn: Turn, decision: Decision, templates: Templates | None = None
) -> HandoffMessage:
    """The handoff when the path itself failed: nothing understood or checked is claimed."""
    pieces = (templates or shipped_templates()).pick(turn.locale)
    wait = turn.waits.get(decision.team) if decision.team else None
    team = team_label(pieces, decision, wait)
    sentences = [
        pieces.render("handover_plain", team=team),
        wait_sentence(pieces, wait, turn.received_at, team),
        pieces.render("no_repeat", team=team),
    ]
    return HandoffMessage(
        text=" ".join(s for s in sentences if s),
        team=decision.team,
        ask="",
        team_label=team,
        locale=pieces.locale,
        wait=wait,
    )


def team_label(pieces: Pieces, decision: Decision, wait: WaitEstimate | None) -> str:
    """The team as the teams file labels it, else its name, else the locale's "support"."""
    if wait is not None:
        return wait.label
    return decision.team or pieces.texts["default_team"]


def checked_sentence(pieces: Pieces, titles: tuple[str, ...], team: str) -> str:
    if not titles:
        return ""
    named = [pieces.render("article", title=title) for title in titles[:MAX_ARTICLES]]
    if len(named) == 1:
        return pieces.render("checked_one", articles=named[0], team=team)
    listed = ", ".join(named[:-1]) + f" {pieces.texts['and']} {named[-1]}"
    return pieces.render("checked_many", articles=listed, team=team)


def wait_sentence(pieces: Pieces, wait: WaitEstimate | None, now: datetime, team: str) -> str:
    """The live wait; nothing at all when the queue gave no estimate for the team."""
    if wait is None:
        return ""
    if wait.minutes is not None:
        if wait.minutes == 1:
            return pieces.render("wait_one_minute", team=team)
        return pieces.render("wait_minutes", minutes=wait.minutes, team=team)
    if not wait.open and wait.opens_at is not None:
        return pieces.render("wait_offline", opens=opening(pieces, wait.opens_at, now), team=team)
    return pieces.render("wait_nobody", team=team)


def opening(pieces: Pieces, opens_at: datetime, now: datetime) -> str:
    """The opening as "today at 08:00", "tomorrow at 08:00" or "on Monday at 08:00"."""
    if opens_at.tzinfo is not None and now.tzinfo is not None:
        now = now.astimezone(opens_at.tzinfo)
    days = (opens_at.date() - now.date()).days
    time = f"{opens_at:%H:%M}"
    if days == 0:
        return pieces.render("opens_today", time=time)
    if days == 1:
        return pieces.render("opens_tomorrow", time=time)
    return pieces.render("opens_on", weekday=pieces.weekdays[opens_at.weekday()], time=time)
