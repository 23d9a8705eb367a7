"""Suggested next steps for the person taking a handoff: a small table in ``steps.yaml``.

Each step names the conditions under which it applies (category, a signal that fired, a rule
that matched, the customer); every step whose conditions hold is suggested, in file order.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relaydesk.conversations.turn import CustomerContext
from relaydesk.errors import Unprocessable
from relaydesk.policy.decision import Decision
from relaydesk.signals.types import Signals

STEPS_FILE = Path(__file__).parent / "steps.yaml"

SignalName = Literal[
    "human_request", "manager_request", "legal_threat", "urgency", "frustration", "repeat_ask"
]


class When(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: tuple[str, ...] = ()
    signal: SignalName | None = None
    rule: tuple[str, ...] = ()
    vip: bool | None = None
    recontact: bool | None = None


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: When = Field(default_factory=When)
    step: str = Field(min_length=1)


class StepTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    steps: tuple[Step, ...] = ()
    otherwise: str = Field(min_length=1)


def load_steps(path: Path = STEPS_FILE) -> StepTable:
    try:
        document = yaml.safe_load(path.read_text("utf-8")) or {}
        return StepTable.model_validate(document)
    except (OSError, yaml.YAMLError) as error:
        raise Unprocessable(f"cannot read the next-steps file {path}: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise Unprocessable(f"the next-steps file {path} is invalid: {problems}") from None


@cache
def shipped_steps() -> StepTable:
    return load_steps()


def suggest(
    table: StepTable,
    signals: Signals | None,
    decision: Decision,
    customer: CustomerContext,
) -> tuple[str, ...]:
    """Every step whose conditions hold; the table's ``otherwise`` when none does."""
    rules = {rule.id for rule in decision.matched_rules}
    found = [s.step for s in table.steps if applies(s.when, signals, rules, customer)]
    return tuple(dict.fromkeys(found)) or (table.otherwise,)


def applies(
    when: When, signals: Signals | None, rules: set[str], customer: CustomerContext
) -> bool:
    checks = [
        not when.category or (signals is not None and signals.category.name in when.category),
        when.signal is None or (signals is not None and fired(signals, when.signal)),
        not when.rule or bool(rules & set(when.rule)),
        when.vip is None or customer.vip == when.vip,
        when.recontact is None or (customer.recent_recontacts > 0) == when.recontact,
    ]
    return all(checks)


def fired(signals: Signals, name: SignalName) -> bool:
    if name == "repeat_ask":
        return signals.repeat_ask.count >= 1
    signal = getattr(signals, name)
    return bool(signal.value)
