"""HTTP routes for the routing policy (``/v1/policy``) and its decisions (``/v1/decisions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from relaydesk.deps import ApiKeyDep, DatabaseDep, PolicyRuntimeDep, SettingsDep
from relaydesk.errors import BadRequest, NotFound
from relaydesk.policy import pilots, versions
from relaydesk.policy.check import check_policy
from relaydesk.policy.compile import compile_policy
from relaydesk.policy.models import DecisionRecord, PolicyPilot, PolicyVersion
from relaydesk.policy.outcomes import add_outcome, outcomes_for
from relaydesk.policy.records import read_body
from relaydesk.policy.schemas import (
    MAX_INT32,
    MAX_INT64,
    ActivationOut,
    ActivePolicyOut,
    CheckOut,
    DecisionDetail,
    DecisionPage,
    DecisionSummary,
    LoadedOut,
    OutcomeIn,
    OutcomeOut,
    PilotIn,
    PilotOut,
    PolicySource,
    ProblemOut,
    RollbackIn,
    RuleOut,
    VersionDetail,
    VersionOut,
)
from relaydesk.signals.categories import category_names

router = APIRouter(prefix="/v1", tags=["policy"])
# Bounded so an out-of-range id is a 422, not a database overflow.
VersionId = Annotated[int, Path(ge=1, le=MAX_INT32)]
Seq = Annotated[int, Path(ge=1, le=MAX_INT64)]


def _pilot_out(session: Session, pilot: PolicyPilot | None, holdout: float) -> PilotOut | None:
    if pilot is None:
        return None
    return PilotOut.of(pilot, holdout, pilots.results(session, pilot))


@router.get("/policy", response_model=ActivePolicyOut)
def get_policy(_: ApiKeyDep, database: DatabaseDep, settings: SettingsDep) -> ActivePolicyOut:
    """The policy serving traffic now, its rules in precedence order, and any running pilot."""
    with database.read() as session:
        current = versions.active(session)
        if current is None:
            raise NotFound("no policy has been loaded yet")
        version, activation = current
        policy = compile_policy(version.source)
        pilot = _pilot_out(session, pilots.running(session), settings.pilot_holdout_share)
    document = policy.document
    return ActivePolicyOut(
        version=VersionOut.of(version),
        activated_by=activation.activated_by,
        activated_at=activation.activated_at,
        owner=document.owner,
        thresholds=document.thresholds.categories,
        default_threshold=document.thresholds.default,
        high_risk_categories=document.high_risk_categories,
        limits=document.limits,
        rules=[
            RuleOut(
                id=rule.id,
                owner=rule.owner,
                description=rule.description,
                when=rule.when.strip(),
                route=rule.then.route,
                team=rule.then.team,
                priority=rule.priority,
            )
            for rule in policy.rules
        ],
        pilot=pilot,
    )


@router.post("/policy/check", response_model=CheckOut)
def post_check(body: PolicySource, _: ApiKeyDep, settings: SettingsDep) -> CheckOut:
    """Check a policy file without loading it: schema, facts, CEL, dead rules, conflicts."""
    problems = check_policy(body.source, category_names(settings.categories_file))
    return CheckOut(
        ok=not any(p.severity == "error" for p in problems),
        problems=[ProblemOut.of(p) for p in problems],
    )


@router.post("/policy/versions", status_code=201, response_model=LoadedOut)
def post_version(
    body: PolicySource,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    settings: SettingsDep,
    runtime: PolicyRuntimeDep,
) -> LoadedOut:
    """Load a policy file as a new version and activate it. An invalid file is refused (422)
    with every problem and its line; the running policy is unchanged."""
    with database.write() as session:
        loaded = versions.load_version(
            session,
            body.source,
            by=f"api:{api_key.name}",
            categories=category_names(settings.categories_file),
        )
        out = LoadedOut(
            version=VersionOut.of(loaded.version),
            created=loaded.created,
            activated=loaded.activated,
            warnings=[],
        )
    runtime.invalidate()
    return out


@router.get("/policy/versions", response_model=list[ActivationOut])
def get_versions(_: ApiKeyDep, database: DatabaseDep) -> list[ActivationOut]:
    """Every activation, newest first: which version served from when, who made it so, why."""
    with database.read() as session:
        return [
            ActivationOut(
                version=VersionOut.of(version),
                activated_by=activation.activated_by,
                activated_at=activation.activated_at,
                reason=activation.reason,
            )
            for activation, version in versions.history(session)
        ]


@router.get("/policy/versions/{version_id}", response_model=VersionDetail)
def get_version(version_id: VersionId, _: ApiKeyDep, database: DatabaseDep) -> VersionDetail:
    """A version's file and its diff against the version active when it was loaded."""
    with database.read() as session:
        version = session.get(PolicyVersion, version_id)
        if version is None:
            raise NotFound(f"policy version {version_id} does not exist")
        return VersionDetail.of(version)


@router.post("/policy/rollback", response_model=VersionOut)
def post_rollback(
    body: RollbackIn, api_key: ApiKeyDep, database: DatabaseDep, runtime: PolicyRuntimeDep
) -> VersionOut:
    """Re-activate the previous version (or ``to``)."""
    with database.write() as session:
        out = VersionOut.of(versions.rollback(session, by=f"api:{api_key.name}", to=body.to))
    runtime.invalidate()
    return out


@router.post("/policy/pilot", status_code=201, response_model=PilotOut)
def post_pilot(
    body: PilotIn,
    api_key: ApiKeyDep,
    database: DatabaseDep,
    settings: SettingsDep,
    runtime: PolicyRuntimeDep,
) -> PilotOut:
    """Start a pilot: a stored version serves ``share`` of eligible traffic."""
    with database.write() as session:
        pilot = pilots.start(
            session,
            body.version_id,
            body.share,
            by=f"api:{api_key.name}",
            channels=body.channels,
            categories=body.categories,
        )
        out = PilotOut.of(pilot, settings.pilot_holdout_share, [])
    runtime.invalidate()
    return out


@router.get("/policy/pilot", response_model=PilotOut)
def get_pilot(_: ApiKeyDep, database: DatabaseDep, settings: SettingsDep) -> PilotOut:
    """The running pilot and its results per arm so far."""
    with database.read() as session:
        out = _pilot_out(session, pilots.running(session), settings.pilot_holdout_share)
    if out is None:
        raise NotFound("no pilot is running")
    return out


@router.delete("/policy/pilot", response_model=PilotOut)
def delete_pilot(
    api_key: ApiKeyDep, database: DatabaseDep, settings: SettingsDep, runtime: PolicyRuntimeDep
) -> PilotOut:
    """Stop the running pilot; its results stay readable in the decision records."""
    with database.write() as session:
        pilot = pilots.stop(session, by=f"api:{api_key.name}")
        out = _pilot_out(session, pilot, settings.pilot_holdout_share)
    runtime.invalidate()
    assert out is not None
    return out


@router.get("/decisions", response_model=DecisionPage)
def list_decisions(
    _: ApiKeyDep,
    database: DatabaseDep,
    route: str | None = None,
    category: str | None = None,
    policy_version: str | None = None,
    arm: str | None = None,
    conversation_id: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DecisionPage:
    """Decisions, newest first. Pass ``next_cursor`` back as ``cursor`` for the next page."""
    query = select(DecisionRecord).order_by(DecisionRecord.seq.desc()).limit(limit + 1)
    for column, value in (
        (DecisionRecord.route, route),
        (DecisionRecord.category, category),
        (DecisionRecord.policy_version, policy_version),
        (DecisionRecord.arm, arm),
        (DecisionRecord.conversation_id, conversation_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        if since.tzinfo is None:
            raise BadRequest("since needs a time zone, e.g. 2026-11-01T00:00:00Z")
        query = query.where(DecisionRecord.created_at >= since)
    if cursor is not None:
        if not cursor.isdigit() or int(cursor) > MAX_INT64:
            raise BadRequest(f"cursor {cursor!r} is not one this API returned")
        query = query.where(DecisionRecord.seq < int(cursor))
    with database.read() as session:
        records = list(session.scalars(query))
    page, more = records[:limit], len(records) > limit
    return DecisionPage(
        items=[DecisionSummary.of(record, read_body(record)) for record in page],
        next_cursor=str(page[-1].seq) if more else None,
    )


def _detail(session: Session, record: DecisionRecord) -> DecisionDetail:
    body = read_body(record)
    summary = DecisionSummary.of(record, body)
    outcomes = outcomes_for(session, [record.seq]).get(record.seq, [])
    return DecisionDetail(
        **summary.model_dump(),
        decision=body["decision"],
        facts=body["facts"],
        outcomes=[OutcomeOut.of(outcome) for outcome in outcomes],
        prev_hash=record.prev_hash,
        hash=record.hash,
    )


@router.get("/decisions/{seq}", response_model=DecisionDetail)
def get_decision(seq: Seq, _: ApiKeyDep, database: DatabaseDep) -> DecisionDetail:
    """One decision with the facts it saw, every rule that fired and why, and its outcomes."""
    with database.read() as session:
        record = session.get(DecisionRecord, seq)
        if record is None:
            raise NotFound(f"decision {seq} does not exist")
        return _detail(session, record)


@router.post("/decisions/{seq}/outcomes", status_code=201, response_model=OutcomeOut)
def post_outcome(
    seq: Seq, body: OutcomeIn, api_key: ApiKeyDep, database: DatabaseDep
) -> OutcomeOut:
    """Attach what happened later: CSAT (1 to 5), or a person's judgement of an escalation."""
    with database.write() as session:
        outcome = add_outcome(
            session, seq, body.kind, value=body.value, note=body.note, actor=f"api:{api_key.name}"
        )
        session.flush()
        return OutcomeOut.of(outcome)
