"""Keeping a worker's policy and pilot in step with the database.

Each worker checks for a newly activated version or a started/stopped pilot at most every
``refresh_seconds``; versions are compiled once and cached by hash. A stored version that no
longer compiles (say, after an upgrade renamed a fact) is logged and the worker keeps the
policy it has: traffic is never left without one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from relaydesk.db import Database
from relaydesk.pipeline import Parts
from relaydesk.policy import pilots, versions
from relaydesk.policy.compile import Policy, PolicyInvalid, compile_policy
from relaydesk.policy.models import PolicyVersion
from relaydesk.policy.pilots import Pilot

log = logging.getLogger(__name__)


class PolicyRuntime:
    def __init__(self, refresh_seconds: float, holdout_share: float) -> None:
        self.refresh_seconds = refresh_seconds
        self.holdout_share = holdout_share
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._compiled: dict[str, Policy] = {}
        self._policy: Policy | None = None
        self._pilot: Pilot | None = None

    def invalidate(self) -> None:
        """Look at the database on the next message (after a change made in this process)."""
        with self._lock:
            self._checked = float("-inf")

    def apply(self, database: Database, parts: Parts) -> Parts:
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.refresh_seconds:
                self._refresh(database)
                self._checked = now
            if self._policy is None:
                return parts
            return replace(parts, policy=self._policy, pilot=self._pilot)

    def _compile(self, version: PolicyVersion) -> Policy | None:
        policy = self._compiled.get(version.hash)
        if policy is None:
            try:
                policy = compile_policy(version.source)
            except PolicyInvalid as error:
                log.error(
                    "policy version %d no longer compiles, kept the last: %s", version.id, error
                )
                return None
            self._compiled[version.hash] = policy
        return policy

    def _refresh(self, database: Database) -> None:
        with database.read() as session:
            current = versions.active(session)
            pilot = pilots.running(session)
            candidate = session.get(PolicyVersion, pilot.candidate_version_id) if pilot else None
        if current is not None:
            policy = self._compile(current[0])
            if policy is not None:
                self._policy = policy
        self._pilot = None
        if pilot is not None and candidate is not None:
            compiled = self._compile(candidate)
            if compiled is not None:
                self._pilot = Pilot(
                    id=pilot.id,
                    candidate=compiled,
                    share=pilot.share,
                    holdout=self.holdout_share,
                    channels=frozenset(pilot.channels.get("only", [])),
                    categories=frozenset(pilot.categories.get("only", [])),
                )
