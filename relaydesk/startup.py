"""Loading what the message path needs, once per process."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from relaydesk.db import Database
from relaydesk.handoff import load_templates
from relaydesk.knowledge import KnowledgeIndex, load_markdown_dir
from relaydesk.pipeline import Parts
from relaydesk.policy import load_policy_file
from relaydesk.policy.runtime import PolicyRuntime
from relaydesk.policy.versions import seed
from relaydesk.queue.teams import load_teams
from relaydesk.settings import Settings
from relaydesk.signals.categories import load_categories

log = logging.getLogger(__name__)


def load_parts(settings: Settings, database: Database | None = None) -> Parts:
    """What the path needs. With a database, the policy is its active version (seeded from
    ``settings.policy_file`` on first start) and any running pilot."""
    articles = load_markdown_dir(settings.kb_dir)
    if not articles:
        log.warning("no articles in %s: every question will go to a person", settings.kb_dir)
    parts = Parts(
        categories=load_categories(settings.categories_file),
        knowledge=KnowledgeIndex(articles),
        policy=load_policy_file(settings.policy_file),
        timezone=ZoneInfo(settings.timezone),
        teams=load_teams(settings.teams_file),
        handoff_templates=load_templates(settings.handoff_templates_dir),
    )
    log.info(
        "knowledge base: %d articles, %d passages from %s (BM25 retrieval)",
        len(articles),
        len(parts.knowledge.passages),
        settings.kb_dir,
    )
    if database is not None:
        seed(database, settings.policy_file)
        parts = PolicyRuntime(0, settings.pilot_holdout_share).apply(database, parts)
    _warn_unknown_categories(parts)
    log.info("routing policy: %s %s (%s)", parts.policy.name, parts.policy.version,
             parts.policy.hash[:12])  # fmt: skip
    return parts


def _warn_unknown_categories(parts: Parts) -> None:
    """A threshold for a category the classifier never produces silently never applies."""
    known = {category.name for category in parts.categories} | {"unknown"}
    document = parts.policy.document
    named = set(document.thresholds.categories) | set(document.high_risk_categories)
    for name in sorted(named - known):
        log.warning(
            "policy %s %s names category %r, which is not in the categories file",
            parts.policy.name,
            parts.policy.version,
            name,
        )
