"""Small builders for the values the message path passes around."""

from __future__ import annotations

from relaydesk.conversations.models import Source
from relaydesk.conversations.turn import CustomerContext, HistoryEntry, Turn


def turn(
    text: str, *history: tuple[Source, str], handed_over: bool = False, **customer: object
) -> Turn:
    return Turn(
        message_id=1,
        conversation_id="conversation-1",
        text=text,
        channel="web",
        customer=CustomerContext(id="customer-1", **customer),  # type: ignore[arg-type]
        history=tuple(HistoryEntry(source=source, text=said) for source, said in history),
        handed_over=handed_over,
    )


def message(text: str = "How do I reset my password?", **fields: object) -> dict[str, object]:
    return {"channel": "web", "text": text, **fields}
