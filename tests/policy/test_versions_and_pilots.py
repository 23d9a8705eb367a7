"""Policy versions (load, refuse, roll back), the runtime that follows them, and pilots."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from factories import message, policy_source, rule

from relaydesk.conversations.schemas import MessageCreate
from relaydesk.conversations.service import Inbound, handle_message
from relaydesk.db import Database
from relaydesk.errors import Conflict
from relaydesk.pipeline import Parts
from relaydesk.policy import PolicyInvalid, compile_policy, pilots, versions
from relaydesk.policy.models import DecisionRecord
from relaydesk.policy.pilots import CANDIDATE, CONTROL, HOLDOUT, Pilot, choose_arm
from relaydesk.policy.runtime import PolicyRuntime
from relaydesk.settings import Settings

ALWAYS_PERSON = policy_source(rule("everyone-to-a-person", "true", team="pilot-team"), version="p1")


def send(database: Database, parts: Parts, text: str = "How do I reset my password?") -> int:
    stored = handle_message(database, parts, Inbound(MessageCreate.model_validate(message(text))))
    return stored.message_id


def test_loading_creates_versions_with_a_diff_and_rollback_restores(database: Database) -> None:
    first, second = policy_source(version="1"), policy_source(version="2")
    with database.write() as session:
        one = versions.load_version(session, first, by="ann")
        two = versions.load_version(session, second, by="bob")
        again = versions.load_version(session, second, by="bob")
    assert (one.created, two.created, again.created, again.activated) == (True, True, False, False)
    assert '-version: "1"' in two.version.diff or "-version: '1'" in two.version.diff
    with database.write() as session:
        back = versions.rollback(session, by="ann")
    assert back.id == one.version.id
    with database.read() as session:
        current = versions.active(session)
        log = versions.history(session)
    assert current is not None
    assert current[0].id == one.version.id
    assert next(activation.reason for activation, _ in log).startswith("rollback from #")
    assert [version.created_by for _, version in log] == ["ann", "bob", "ann"]


def test_an_invalid_file_leaves_the_running_policy_unchanged(database: Database) -> None:
    with database.write() as session:
        good = versions.load_version(session, policy_source(), by="ann").version
    broken = [
        "name: [unclosed",
        policy_source(rule("typo", "signals.human_requets.value")),
        policy_source(rule("syntax", "signals.human_request.value &&")),
    ]
    for source in broken:
        with pytest.raises(PolicyInvalid), database.write() as session:
            versions.load_version(session, source, by="mallory")
    with database.read() as session:
        current = versions.active(session)
        assert current is not None
        assert current[0].id == good.id
        assert len(versions.versions(session)) == 1


def test_rollback_with_one_version_is_refused(database: Database) -> None:
    with database.write() as session:
        versions.load_version(session, policy_source(), by="ann")
    with pytest.raises(Conflict), database.write() as session:
        versions.rollback(session, by="ann")


def test_a_worker_picks_up_a_new_version_and_decisions_name_it(
    database: Database, parts: Parts
) -> None:
    versions.seed(database, Settings().policy_file)
    runtime = PolicyRuntime(refresh_seconds=0, holdout_share=0.0)
    before = runtime.apply(database, parts)
    assert before.policy.name == "default"
    with database.write() as session:
        versions.load_version(session, ALWAYS_PERSON, by="ann")
    after = runtime.apply(database, parts)
    message_id = send(database, after, "How do I reset my password?")
    with database.read() as session:
        record = session.query(DecisionRecord).filter_by(message_id=message_id).one()
    assert (record.route, record.team) == ("handoff", "pilot-team")
    assert record.policy_hash == compile_policy(ALWAYS_PERSON).hash


def pilot(share: float, holdout: float = 0.1, **filters: frozenset[str]) -> Pilot:
    return Pilot(id=7, candidate=compile_policy(ALWAYS_PERSON), share=share, holdout=holdout,
                 **filters)  # type: ignore[arg-type]  # fmt: skip


def test_arms_are_deterministic_and_near_their_shares() -> None:
    arms = Counter(
        choose_arm(pilot(0.3), f"conversation-{i}", "web", "orders") for i in range(20000)
    )
    assert abs(arms[HOLDOUT] / 20000 - 0.1) < 0.01
    assert abs(arms[CANDIDATE] / 20000 - 0.9 * 0.3) < 0.015
    again = [choose_arm(pilot(0.3), f"conversation-{i}", "web", "orders") for i in range(200)]
    assert again == [choose_arm(pilot(0.3), f"conversation-{i}", "web", "orders")
                     for i in range(200)]  # fmt: skip


def test_the_holdout_is_the_same_for_every_pilot() -> None:
    ids = [f"conversation-{i}" for i in range(5000)]
    first = {c for c in ids if choose_arm(pilot(0.5), c, "web", "x") == HOLDOUT}
    other = replace(pilot(0.9), id=99)
    assert first == {c for c in ids if choose_arm(other, c, "web", "x") == HOLDOUT}
    assert first  # and it is not empty


def test_filters_keep_ineligible_traffic_in_control() -> None:
    only_email = pilot(1.0, holdout=0.0, channels=frozenset({"email"}))
    assert choose_arm(only_email, "c1", "web", "orders") == CONTROL
    assert choose_arm(only_email, "c1", "email", "orders") == CANDIDATE
    only_orders = pilot(1.0, holdout=0.0, categories=frozenset({"orders"}))
    assert choose_arm(only_orders, "c1", "web", "billing") == CONTROL


def test_a_pilot_serves_its_slice_and_decisions_record_the_arm(
    database: Database, parts: Parts
) -> None:
    versions.seed(database, Settings().policy_file)
    with database.write() as session:
        candidate = versions.store_version(session, ALWAYS_PERSON, by="ann")
        pilots.start(session, candidate.id, share=0.5, by="ann")
    runtime = PolicyRuntime(refresh_seconds=0, holdout_share=0.2)
    piloted = runtime.apply(database, parts)
    assert piloted.pilot is not None
    for _ in range(30):
        send(database, piloted)
    with database.read() as session:
        records = session.query(DecisionRecord).all()
        results = {arm.arm: arm for arm in pilots.results(session, pilots.running(session))}  # type: ignore[arg-type]
    by_arm = Counter(record.arm for record in records)
    assert set(by_arm) <= {HOLDOUT, CANDIDATE, CONTROL}
    assert by_arm[CANDIDATE] > 0
    for record in records:
        if record.arm == CANDIDATE:
            assert (record.route, record.policy_version) == ("handoff", "p1")
        else:
            assert record.policy_name == "default"
    assert results[CANDIDATE].to_person == by_arm[CANDIDATE]
    with database.write() as session:
        pilots.stop(session, by="ann")
    assert runtime.apply(database, parts).pilot is None


def test_only_one_pilot_runs_at_a_time(database: Database) -> None:
    with database.write() as session:
        version = versions.store_version(session, ALWAYS_PERSON, by="ann")
        pilots.start(session, version.id, share=0.1, by="ann")
    with pytest.raises(Conflict), database.write() as session:
        pilots.start(session, version.id, share=0.1, by="bob")
