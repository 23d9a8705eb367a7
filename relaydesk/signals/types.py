"""Signal values: what was detected, how strongly, and the words or features that fired."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Signal(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: bool
    score: float
    evidence: tuple[str, ...] = ()


class FrustrationSignal(Signal):
    """Frustration now, and ``trend``: its slope over the customer's last messages (-1..1)."""

    trend: float = 0.0


class CategorySignal(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float
    evidence: tuple[str, ...] = ()


class RepeatAsk(BaseModel):
    """Earlier asks the AI already answered that this message repeats; ``score`` is the best
    match's similarity (0..1) whether or not it counted."""

    model_config = ConfigDict(frozen=True)

    count: int
    score: float = 0.0
    evidence: tuple[str, ...] = ()


class Amount(BaseModel):
    """The largest sum of money the message mentions (0 when it names none)."""

    model_config = ConfigDict(frozen=True)

    value: float
    evidence: tuple[str, ...] = ()


class Signals(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: CategorySignal
    human_request: Signal
    manager_request: Signal
    legal_threat: Signal
    urgency: Signal
    frustration: FrustrationSignal
    repeat_ask: RepeatAsk
    amount: Amount = Amount(value=0.0)
    # From the trained classifier; the defaults keep facts stored before it (and the keyword
    # classifier's signals) readable: no intent known, nothing judged out of scope.
    intent: CategorySignal = CategorySignal(name="unknown", confidence=0.0)
    out_of_scope: Signal = Signal(value=False, score=0.0)

    @field_validator("frustration", mode="before")
    @classmethod
    def _with_trend(cls, value: Any) -> Any:
        """A plain ``Signal`` (older callers, stored facts) reads as no trend."""
        if isinstance(value, Signal) and not isinstance(value, FrustrationSignal):
            return FrustrationSignal(**value.model_dump())
        return value
