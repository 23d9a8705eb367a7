"""The policy file: its schema, and parsing that reports every problem with its line number.

A policy file is YAML a support leader edits. Parsing never raises on bad content: it returns
the problems found (each with a line), so ``relaydesk policy check``, the API and the loader
all say the same thing about the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from relaydesk.policy.decision import Route

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
LIMIT_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
QueuePriority = Literal["low", "normal", "high", "urgent"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Then(Strict):
    route: Route
    team: str | None = Field(default=None, min_length=1, max_length=64)
    priority: QueuePriority = "normal"  # the handoff's place in the human queue
    message: str | None = Field(default=None, min_length=1, max_length=1000)


class RuleSpec(Strict):
    id: str
    owner: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1, max_length=1000)
    when: str = Field(min_length=1, max_length=4000)
    then: Then
    # Precedence: a higher priority wins; equal priorities go in file order.
    priority: int = Field(default=0, ge=-1000, le=1000)
    # Optional sentence for the decision record; {fact.path} is replaced by the fact's value.
    because: str | None = Field(default=None, min_length=1, max_length=500)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError("a rule id is lower-case letters, digits and '-', up to 64")
        return value


class Otherwise(Strict):
    """What happens when no rule fires."""

    id: str = "otherwise"
    owner: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1, max_length=1000)
    then: Then
    because: str | None = Field(default=None, min_length=1, max_length=500)


class Thresholds(Strict):
    default: float = Field(ge=0, le=1)
    categories: dict[str, float] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for name, bar in value.items():
            if not 0 <= bar <= 1:
                raise ValueError(f"threshold for {name!r} must be between 0 and 1, not {bar}")
        return value


class FailSafe(Strict):
    team: str = Field(default="frontline", min_length=1, max_length=64)
    priority: QueuePriority = "high"


class PolicyDocument(Strict):
    name: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=64)
    owner: str = Field(min_length=1, max_length=255)
    description: str = ""
    thresholds: Thresholds
    high_risk_categories: list[str] = Field(default_factory=list)
    limits: dict[str, float] = Field(default_factory=dict)
    fail_safe: FailSafe = FailSafe()
    rules: list[RuleSpec] = Field(min_length=1)
    otherwise: Otherwise

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("limits")
    @classmethod
    def _limit_names(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            if not LIMIT_NAME.match(name):
                raise ValueError(f"limit name {name!r}: use lower-case letters, digits and '_'")
        return value


@dataclass(frozen=True)
class Problem:
    """Something wrong with a policy file. Errors block loading; warnings do not."""

    message: str
    line: int | None = None  # 1-based
    rule: str | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass(frozen=True)
class Parsed:
    document: PolicyDocument | None
    problems: tuple[Problem, ...]
    lines: dict[tuple[str | int, ...], int]  # YAML path → 1-based line of its value

    def line_of(self, *path: str | int) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _index_lines(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> list[Problem]:
    lines[path] = node.start_mark.line + 1
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                where = ".".join(str(p) for p in (*path, key))
                problems.append(
                    Problem(f"'{where}' is given twice (also on line {seen[key]})", line)
                )
            seen[key] = line
            problems += _index_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _index_lines(item, (*path, index), lines)
    return problems


def _describe(loc: tuple[str | int, ...], document: Any) -> str:
    parts: list[str] = []
    for step in loc:
        if isinstance(step, int) and parts and parts[-1] == "rules":
            rule = document.get("rules", [])[step] if isinstance(document, dict) else None
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            parts[-1] = f"rules[{step}]" + (f" ({rule_id})" if rule_id else "")
        else:
            parts.append(str(step))
    return ".".join(parts) or "the file"


def parse_policy(text: str) -> Parsed:
    lines: dict[tuple[str | int, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        return Parsed(None, (Problem(f"not valid YAML: {problem}", line),), lines)
    if root is None or not isinstance(raw, dict):
        return Parsed(None, (Problem("a policy file is a YAML mapping (name, version, ...)"),), {})
    problems = _index_lines(root, (), lines)
    parsed = Parsed(None, (), lines)
    try:
        document = PolicyDocument.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "missing" and loc[-1] == "owner":
                message = "has no owner: every rule needs someone answerable for it"
            elif item["type"] == "extra_forbidden":
                message = "is not a policy field (check the spelling)"
            problems.append(Problem(f"{_describe(loc, raw)}: {message}", parsed.line_of(*loc)))
        return Parsed(None, tuple(problems), lines)
    seen: dict[str, int] = {}
    for index, rule in enumerate(document.rules):
        if rule.id in seen:
            problems.append(
                Problem(f"rule id '{rule.id}' is used twice (rules {seen[rule.id]} and {index})",
                        parsed.line_of("rules", index, "id"), rule.id)
            )  # fmt: skip
        seen[rule.id] = index
    return Parsed(document, tuple(problems), lines)
