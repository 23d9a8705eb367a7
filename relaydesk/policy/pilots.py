"""Pilots: a candidate policy serves a slice of traffic, beside a permanent holdout.

Arms are chosen by a deterministic hash of the conversation id, so every message of a
conversation lands in the same arm and a rerun makes the same choice:

    holdout    hash("holdout", conversation) < holdout share. The same conversations are held
               out of every pilot, ever: the baseline the cumulative effect is measured against.
    candidate  eligible (channel and category filters) and hash(pilot, conversation) < share.
    control    everything else: the active policy.

Holdout and control both run the active policy; the decision records which arm it was in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from relaydesk.db import utcnow
from relaydesk.errors import Conflict, NotFound, Unprocessable
from relaydesk.policy.compile import Policy, compile_policy
from relaydesk.policy.decision import Route
from relaydesk.policy.models import DecisionOutcome, DecisionRecord, PolicyPilot, PolicyVersion

HOLDOUT = "holdout"
CANDIDATE = "candidate"
CONTROL = "control"
PERSON_ROUTES = (Route.HANDOFF, Route.REQUIRE_APPROVAL)


@dataclass(frozen=True)
class Pilot:
    """A running pilot, as the message path needs it."""

    id: int
    candidate: Policy
    share: float
    holdout: float
    channels: frozenset[str] = frozenset()  # empty: every channel
    categories: frozenset[str] = frozenset()  # empty: every category


def bucket(salt: str, conversation_id: str) -> float:
    """A stable number in [0, 1) for this conversation under this salt."""
    digest = hashlib.sha256(f"{salt}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose_arm(pilot: Pilot, conversation_id: str, channel: str, category: str) -> str:
    if bucket(HOLDOUT, conversation_id) < pilot.holdout:
        return HOLDOUT
    eligible = (not pilot.channels or channel in pilot.channels) and (
        not pilot.categories or category in pilot.categories
    )
    if eligible and bucket(f"pilot-{pilot.id}", conversation_id) < pilot.share:
        return CANDIDATE
    return CONTROL


def running(session: Session) -> PolicyPilot | None:
    return session.scalar(
        select(PolicyPilot).where(PolicyPilot.stopped_at.is_(None)).order_by(PolicyPilot.id.desc())
    )


def start(
    session: Session,
    candidate_version_id: int,
    share: float,
    by: str,
    channels: list[str] | None = None,
    categories: list[str] | None = None,
) -> PolicyPilot:
    if not 0 < share <= 1:
        raise Unprocessable(f"share must be more than 0 and at most 1, not {share}")
    if running(session) is not None:
        raise Conflict("a pilot is already running: stop it first (`relaydesk policy pilot stop`)")
    version = session.get(PolicyVersion, candidate_version_id)
    if version is None:
        raise NotFound(f"policy version {candidate_version_id} does not exist")
    compile_policy(version.source)
    pilot = PolicyPilot(
        candidate_version_id=version.id,
        share=share,
        channels={"only": sorted(channels)} if channels else {},
        categories={"only": sorted(categories)} if categories else {},
        started_by=by,
    )
    session.add(pilot)
    session.flush()
    return pilot


def stop(session: Session, by: str) -> PolicyPilot:
    pilot = running(session)
    if pilot is None:
        raise NotFound("no pilot is running")
    pilot.stopped_at, pilot.stopped_by = utcnow(), by
    return pilot


@dataclass(frozen=True)
class ArmResult:
    arm: str
    policy_version: str
    decisions: int
    to_person: int
    recontacted: int
    csat_mean: float | None

    @property
    def handoff_rate(self) -> float:
        return self.to_person / self.decisions if self.decisions else 0.0


def results(session: Session, pilot: PolicyPilot) -> list[ArmResult]:
    """Per arm since the pilot started: decisions, share to a person, recontacts, CSAT."""
    since: datetime = pilot.started_at
    until = pilot.stopped_at or utcnow()
    in_pilot = (
        DecisionRecord.created_at >= since,
        DecisionRecord.created_at <= until,
        DecisionRecord.arm.is_not(None),
    )
    rows = session.execute(
        select(
            DecisionRecord.arm,
            DecisionRecord.policy_version,
            func.count(),
            func.sum(case((DecisionRecord.route.in_([str(r) for r in PERSON_ROUTES]), 1), else_=0)),
        )
        .where(*in_pilot)
        .group_by(DecisionRecord.arm, DecisionRecord.policy_version)
        .order_by(DecisionRecord.arm)
    ).all()
    outcome_rows = session.execute(
        select(
            DecisionRecord.arm, DecisionOutcome.kind, func.count(), func.avg(DecisionOutcome.value)
        )
        .join(DecisionOutcome, DecisionOutcome.decision_seq == DecisionRecord.seq)
        .where(*in_pilot)
        .group_by(DecisionRecord.arm, DecisionOutcome.kind)
    ).all()
    outcomes = {(arm, kind): (count, mean) for arm, kind, count, mean in outcome_rows}
    return [
        ArmResult(
            arm=arm,
            policy_version=version,
            decisions=count,
            to_person=int(person or 0),
            recontacted=outcomes.get((arm, "recontacted"), (0, None))[0],
            csat_mean=outcomes.get((arm, "csat"), (0, None))[1],
        )
        for arm, version, count, person in rows
    ]
