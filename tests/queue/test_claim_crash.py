"""Worker processes claim a queue of 2,000 conversations while some are killed with SIGKILL.

Each worker is a spawned process with its own engine and one agent of large capacity, calling
``claim_next`` until the queue is empty. Once claims are flowing the parent kills two workers
(mid-transaction or not, wherever they are) and starts replacements for the same agents. A
killed worker's open transaction dies with its connection (PostgreSQL) or its file lock
(SQLite), so at the end every conversation must have exactly one active claim, and every
fencing token must be unique.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from multiprocessing.process import BaseProcess

from sqlalchemy import func, select
from support.queue import fill_queue

from relaydesk.conversations.models import Conversation
from relaydesk.db import Database
from relaydesk.queue.claims import claim_next
from relaydesk.queue.models import Claim

CONVERSATIONS = 2_000
WORKERS = {"sqlite": 4, "postgresql": 8}
KILLS = 2
# Only a hang should fail the test: a run takes 10-50 s, and a loaded 2-core machine has
# been seen to need more than 90.
DEADLINE_SECONDS = 300.0


def worker(url: str, agent_id: str) -> None:
    """Claim until the queue is empty (the entry point of each spawned process)."""
    database = Database(url, pool_size=1)
    try:
        while claim_next(database, agent_id) is not None:
            pass
    finally:
        database.dispose()


def claimed(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(Claim)) or 0


def test_killed_workers_neither_lose_nor_double_a_conversation(database: Database) -> None:
    context = multiprocessing.get_context("spawn")
    agents = fill_queue(database, CONVERSATIONS, WORKERS[database.dialect])

    def start(agent_id: str) -> BaseProcess:
        process = context.Process(target=worker, args=(database.url, agent_id), daemon=True)
        process.start()
        return process

    processes = {agent_id: start(agent_id) for agent_id in agents}
    deadline = time.monotonic() + DEADLINE_SECONDS
    # Kill only once claims are flowing, so the kills land mid-run rather than at import.
    while claimed(database) < CONVERSATIONS // 10:
        assert time.monotonic() < deadline, "workers did not start claiming"
        time.sleep(0.05)
    time.sleep(random.uniform(0.0, 0.3))
    victims = random.sample(agents, KILLS)
    for agent_id in victims:
        processes[agent_id].kill()  # SIGKILL: no cleanup, no rollback from the client
        processes[agent_id].join()
    killed_at = claimed(database)
    for agent_id in victims:
        processes[agent_id] = start(agent_id)
    for process in processes.values():
        process.join(max(0.0, deadline - time.monotonic()))
        assert process.exitcode == 0, f"a worker failed or hung (exit code {process.exitcode})"
    assert killed_at < CONVERSATIONS, "the kills came after the queue was empty"

    with database.read() as session:
        claims = session.scalars(select(Claim)).all()
        statuses = session.execute(
            select(Conversation.status, func.count()).group_by(Conversation.status)
        ).all()
    active = [c for c in claims if c.released_at is None]
    per_conversation = {c.conversation_id for c in active}
    tokens = [c.fencing_token for c in claims]
    assert len(active) == len(claims) == CONVERSATIONS  # none released, none doubled
    assert len(per_conversation) == CONVERSATIONS  # every one claimed exactly once
    assert len(set(tokens)) == len(tokens)
    assert dict(statuses) == {"assigned": CONVERSATIONS}
    assert {c.agent_id for c in claims} <= set(agents)
