"""A routing decision: where the conversation goes, and every rule that said so."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Route(StrEnum):
    AI_REPLY = "ai_reply"
    AI_REPLY_FLAGGED = "ai_reply_flagged"  # answer, and send the answer to QA review
    HANDOFF = "handoff"
    ASK_CLARIFYING = "ask_clarifying"
    REQUIRE_APPROVAL = "require_approval"


class MatchedRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    owner: str
    description: str
    reason: str  # what in the facts made it fire


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    route: Route
    team: str | None = None
    priority: str = "normal"
    matched_rules: tuple[MatchedRule, ...] = ()  # every rule that fired; the first decided
    thresholds: dict[str, float] = {}  # the category's confidence bar that applied
    policy_name: str
    policy_version: str
    policy_hash: str = ""  # sha256 of the policy file's text: the exact rules that decided
    arm: str | None = None  # the pilot arm ("candidate", "control", "holdout"), if one ran
    message: str | None = None  # what to ask, for ask_clarifying

    @property
    def reasons(self) -> list[str]:
        return [rule.reason for rule in self.matched_rules]
