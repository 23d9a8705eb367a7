"""The action registry: what each action is called, takes, risks and does.

An action declares its name, a Pydantic model for its parameters (strict: unknown or malformed
arguments are refused before anything runs), its risk level, the kind of resource it touches
(an ``Order`` or an ``Account``, as the Cedar schema names them) and its runner. Two kinds of
runner ship: the demo shop's (``relaydesk.actions.shop``) and calls to the company's HTTP API
(``relaydesk.actions.http``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from relaydesk.errors import Unprocessable

if TYPE_CHECKING:
    from relaydesk.actions.context import RunContext


class Risk(StrEnum):
    READ = "read"  # reads and reports; changes nothing
    LOW = "low"  # opens a case, starts a return
    MEDIUM = "medium"  # moves money within limits, changes account details
    HIGH = "high"  # cannot be undone (closing an account)


class Params(BaseModel):
    """Base of every action's parameters: frozen, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    def amount_cents(self) -> int:
        """The money the action moves, in cents (0 for most actions)."""
        amount = getattr(self, "amount", None)
        return int(Decimal(amount) * 100) if amount is not None else 0


Runner = Callable[["RunContext", Any], dict[str, Any]]


class ActionInvalid(Unprocessable):
    """An unknown action, or arguments that do not fit its parameters: nothing ran."""

    code = "invalid_action"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    description: str
    params: type[Params]
    risk: Risk
    resource: str  # "Order" | "Account"
    runner: Runner
    kind: str = "shop"  # "shop" | "http"

    def parse(self, arguments: Mapping[str, Any]) -> Params:
        try:
            return self.params.model_validate(dict(arguments))
        except ValidationError as error:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]) or "arguments", "message": e["msg"]}
                for e in error.errors()
            ]
            summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise ActionInvalid(
                f"invalid arguments for {self.name}: {summary}", action=self.name, errors=problems
            ) from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "risk": self.risk.value,
            "resource": self.resource,
            "kind": self.kind,
            "parameters": self.params.model_json_schema(),
        }


class Registry:
    """The actions this deployment offers, by name."""

    def __init__(self, specs: Iterable[ActionSpec] = ()) -> None:
        self._specs: dict[str, ActionSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: ActionSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"action {spec.name!r} is registered twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> ActionSpec:
        spec = self._specs.get(name) if isinstance(name, str) else None
        if spec is None:
            known = ", ".join(sorted(self._specs))
            raise ActionInvalid(f"unknown action {name!r}; known actions: {known}", action=name)
        return spec

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(self._specs.values())
