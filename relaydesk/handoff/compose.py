"""The customer-facing handoff: their ask in their words, what was checked, where it goes.

Nothing here is invented: "what was checked" lists the articles the AI actually read, and no
wait time is promised until the live queue can estimate one.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from relaydesk.conversations.turn import Turn
from relaydesk.policy.decision import Decision
from relaydesk.resolver.attempt import Attempt
from relaydesk.signals.types import Signals

MAX_QUOTE = 140
NO_REPEAT = (
    "They will see this whole conversation, so you won't need to repeat anything, "
    "and they will reply here."
)
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")


class HandoffMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    team: str | None
    ask: str
    checked: tuple[str, ...] = ()


def quote_ask(text: str) -> str:
    """The customer's own words, trimmed to one readable sentence."""
    flat = " ".join(text.split())
    sentences = [s for s in _FIRST_SENTENCE.split(flat) if s.strip()]
    # Prefer the first question, where most customers put their ask.
    ask = next((s for s in sentences if s.endswith("?")), sentences[0] if sentences else flat)
    if len(ask) > MAX_QUOTE:
        ask = ask[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"
    return ask


def compose_handoff(
    turn: Turn, signals: Signals, attempt: Attempt, decision: Decision
) -> HandoffMessage:
    ask = quote_ask(turn.text)
    checked = tuple(dict.fromkeys(c.title for c in attempt.checked))
    team = decision.team or "support"
    lines = []
    if signals.frustration.value or signals.repeat_ask.count >= 2:
        lines.append("I'm sorry this has taken more than it should.")
    lines.append(f'I\'m passing your message — "{ask}" — to our {team} team.')
    if checked:
        lines.append(
            "I checked our help articles (" + ", ".join(checked[:3]) + ") and they don't "
            "settle this, so a person should."
        )
    lines.append(NO_REPEAT)
    return HandoffMessage(text=" ".join(lines), team=decision.team, ask=ask, checked=checked)


def plain_handoff(decision: Decision) -> HandoffMessage:
    """The handoff when the path itself failed: nothing understood or checked is claimed."""
    team = decision.team or "support"
    text = f"I'm passing your message to our {team} team. {NO_REPEAT}"
    return HandoffMessage(text=text, team=decision.team, ask="")
