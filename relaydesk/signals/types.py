"""Signal values: what was detected, how strongly, and the words or features that fired."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Signal(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: bool
    score: float
    evidence: tuple[str, ...] = ()


class CategorySignal(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float
    evidence: tuple[str, ...] = ()


class RepeatAsk(BaseModel):
    model_config = ConfigDict(frozen=True)

    count: int
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
    frustration: Signal
    repeat_ask: RepeatAsk
    amount: Amount = Amount(value=0.0)
