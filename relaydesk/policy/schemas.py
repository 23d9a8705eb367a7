"""What the policy and decision endpoints accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from relaydesk.conversations.schemas import StorableStr
from relaydesk.policy.document import Problem
from relaydesk.policy.models import (
    DecisionOutcome,
    DecisionRecord,
    OutcomeKind,
    PolicyPilot,
    PolicyVersion,
)
from relaydesk.policy.pilots import ArmResult

MAX_POLICY_CHARS = 200_000
MAX_INT32 = 2**31 - 1  # policy version ids
MAX_INT64 = 2**63 - 1  # decision seqs


class ProblemOut(BaseModel):
    severity: str
    line: int | None
    rule: str | None
    message: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(
            severity=problem.severity, line=problem.line, rule=problem.rule, message=problem.message
        )


class PolicySource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: StorableStr = Field(
        min_length=1, max_length=MAX_POLICY_CHARS, description="The YAML file."
    )


class CheckOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]


class VersionOut(BaseModel):
    id: int
    name: str
    version: str
    hash: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, version: PolicyVersion) -> VersionOut:
        return cls(
            id=version.id,
            name=version.name,
            version=version.label,
            hash=version.hash,
            created_by=version.created_by,
            created_at=version.created_at,
        )


class VersionDetail(VersionOut):
    source: str
    diff: str

    @classmethod
    def of(cls, version: PolicyVersion) -> VersionDetail:
        return cls(**VersionOut.of(version).model_dump(), source=version.source, diff=version.diff)


class ActivationOut(BaseModel):
    version: VersionOut
    activated_by: str
    activated_at: datetime
    reason: str


class LoadedOut(BaseModel):
    version: VersionOut
    created: bool
    activated: bool
    warnings: list[ProblemOut]


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: int | None = Field(
        default=None, ge=1, le=MAX_INT32, description="A version id; default: the previous one."
    )


class PilotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_id: int = Field(ge=1, le=MAX_INT32)
    share: float = Field(gt=0, le=1, description="Of eligible conversations outside the holdout.")
    channels: list[Annotated[StorableStr, Field(max_length=32)]] = Field(
        default_factory=list, max_length=50
    )
    categories: list[Annotated[StorableStr, Field(max_length=64)]] = Field(
        default_factory=list, max_length=200
    )


class ArmOut(BaseModel):
    arm: str
    policy_version: str
    decisions: int
    to_person: int
    handoff_rate: float
    recontacted: int
    csat_mean: float | None

    @classmethod
    def of(cls, result: ArmResult) -> ArmOut:
        return cls(
            arm=result.arm,
            policy_version=result.policy_version,
            decisions=result.decisions,
            to_person=result.to_person,
            handoff_rate=round(result.handoff_rate, 4),
            recontacted=result.recontacted,
            csat_mean=result.csat_mean,
        )


class PilotOut(BaseModel):
    id: int
    candidate_version_id: int
    share: float
    holdout: float
    channels: list[str]
    categories: list[str]
    started_by: str
    started_at: datetime
    stopped_by: str | None
    stopped_at: datetime | None
    arms: list[ArmOut] = []

    @classmethod
    def of(cls, pilot: PolicyPilot, holdout: float, arms: list[ArmResult]) -> PilotOut:
        return cls(
            id=pilot.id,
            candidate_version_id=pilot.candidate_version_id,
            share=pilot.share,
            holdout=holdout,
            channels=pilot.channels.get("only", []),
            categories=pilot.categories.get("only", []),
            started_by=pilot.started_by,
            started_at=pilot.started_at,
            stopped_by=pilot.stopped_by,
            stopped_at=pilot.stopped_at,
            arms=[ArmOut.of(arm) for arm in arms],
        )


class RuleOut(BaseModel):
    id: str
    owner: str
    description: str
    when: str
    route: str
    team: str | None
    priority: int


class ActivePolicyOut(BaseModel):
    version: VersionOut
    activated_by: str
    activated_at: datetime
    owner: str
    thresholds: dict[str, float]
    default_threshold: float
    high_risk_categories: list[str]
    limits: dict[str, float]
    rules: list[RuleOut]  # in precedence order
    pilot: PilotOut | None


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OutcomeKind
    value: float | None = None
    note: StorableStr | None = Field(default=None, max_length=2000)


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    value: float | None
    note: str | None
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, outcome: DecisionOutcome) -> OutcomeOut:
        return cls.model_validate(outcome)


class DecisionSummary(BaseModel):
    seq: int
    message_id: int
    conversation_id: str
    created_at: datetime
    route: str
    team: str | None
    category: str
    policy_name: str
    policy_version: str
    policy_hash: str
    arm: str | None
    rules: list[str]  # the ids of the rules that fired; the first decided

    @classmethod
    def of(cls, record: DecisionRecord, body: dict[str, Any]) -> DecisionSummary:
        return cls(
            seq=record.seq,
            message_id=record.message_id,
            conversation_id=record.conversation_id,
            created_at=record.created_at,
            route=record.route,
            team=record.team,
            category=record.category,
            policy_name=record.policy_name,
            policy_version=record.policy_version,
            policy_hash=record.policy_hash,
            arm=record.arm,
            rules=[rule["id"] for rule in body["decision"]["matched_rules"]],
        )


class DecisionDetail(DecisionSummary):
    decision: dict[str, Any]
    facts: dict[str, Any]
    outcomes: list[OutcomeOut]
    prev_hash: str
    hash: str


class DecisionPage(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None
