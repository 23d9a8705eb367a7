"""Loading what the message path needs, once per process."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from relaydesk.actions.runtime import build_runtime
from relaydesk.db import Database
from relaydesk.handoff import load_templates
from relaydesk.knowledge import KnowledgeIndex, store
from relaydesk.knowledge.embeddings import Embedder, load_embedder, memoised
from relaydesk.knowledge.importers import ReadResult, files_under, read_file
from relaydesk.knowledge.runtime import KnowledgeRuntime, build_index
from relaydesk.pipeline import Parts
from relaydesk.policy import load_policy_file
from relaydesk.policy.runtime import PolicyRuntime
from relaydesk.policy.versions import seed
from relaydesk.queue.teams import load_teams
from relaydesk.resolver.providers import provider_from_settings
from relaydesk.settings import Settings
from relaydesk.signals.categories import load_categories
from relaydesk.signals.classifier import CategoryClassifier, load_classifier

log = logging.getLogger(__name__)


def load_parts(
    settings: Settings, database: Database | None = None, knowledge: KnowledgeIndex | None = None
) -> Parts:
    """What the path needs. With a database, the policy is its active version (seeded from
    ``settings.policy_file`` on first start) and any running pilot, and the knowledge base is
    the database's; without one, the knowledge base is read from ``settings.kb_dir``."""
    if knowledge is None and database is not None:
        knowledge = load_knowledge(settings, database).index
    elif knowledge is None:
        articles = [a.article for a in read_kb_dir(settings.kb_dir).articles]
        knowledge = KnowledgeIndex(articles, embedder=embedder_for(settings))
    parts = Parts(
        categories=load_categories(settings.categories_file),
        knowledge=knowledge,
        policy=load_policy_file(settings.policy_file),
        timezone=ZoneInfo(settings.timezone),
        teams=load_teams(settings.teams_file),
        handoff_templates=load_templates(settings.handoff_templates_dir),
        llm=provider_from_settings(settings),
        llm_max_tokens=settings.llm_max_tokens,
        classifier=load_category_classifier(settings),
    )
    if database is not None:
        parts = replace(parts, actions=build_runtime(settings, database))
        seed(database, settings.policy_file)
        parts = PolicyRuntime(0, settings.pilot_holdout_share).apply(database, parts)
    _warn_unknown_categories(parts)
    log.info("routing policy: %s %s (%s)", parts.policy.name, parts.policy.version,
             parts.policy.hash[:12])  # fmt: skip
    return parts


def embedder_for(settings: Settings) -> Embedder | None:
    if not settings.dense_retrieval:
        log.info("dense retrieval off (RELAYDESK_DENSE_RETRIEVAL=false): BM25 only")
        return None
    embedder, reason = load_embedder()
    log.log(logging.INFO if embedder else logging.WARNING, "%s", reason)
    # One memo for the process: the classifier and retrieval embed the same message, once.
    return memoised(embedder) if embedder is not None else None


def load_category_classifier(settings: Settings) -> CategoryClassifier | None:
    """With ``category_classifier=trained``, the trained classifier for the categories file:
    from the cache, trained once if missing, with sentence embeddings only when dense
    retrieval is on. If it cannot be built, the keyword matcher stands in, loudly."""
    if settings.category_classifier == "keywords":
        return None
    embedder = embedder_for(settings)
    try:
        classifier = load_classifier(settings.categories_file, embedder)
    except (OSError, ValueError) as error:
        log.error("category classifier unavailable, using keyword matching: %s", error)
        return None
    log.info("category classifier: %d categories, %d intents, features %s",
             len(classifier.taxonomy.categories), len(classifier.taxonomy.intents),
             classifier.embedder_id)  # fmt: skip
    return classifier


def read_kb_dir(kb_dir: Path) -> ReadResult:
    files, problems = files_under([kb_dir])
    result = ReadResult([], problems)
    for file, root in files:
        read = read_file(file, root)
        result.articles.extend(read.articles)
        result.problems.extend(read.problems)
    for problem in result.problems:
        log.error("knowledge base: %s", problem)
    return result


def load_knowledge(settings: Settings, database: Database) -> KnowledgeRuntime:
    """The knowledge index from the database; a database that never had articles is seeded
    from ``settings.kb_dir`` (the demo shop's help centre by default)."""
    with database.write() as session:
        if not store.ever_stored(session):
            counts = store.import_articles(session, read_kb_dir(settings.kb_dir).articles)
            log.info("knowledge base seeded with %d articles from %s", counts.created,
                     settings.kb_dir)  # fmt: skip
    embedder = embedder_for(settings)
    index, revision = build_index(database, embedder)
    if not index.passages:
        log.warning("the knowledge base is empty: every question will go to a person")
    log.info("knowledge base: %d passages, %s retrieval", len(index.passages), index.mode)
    return KnowledgeRuntime(index, revision, embedder, settings.kb_refresh_seconds)


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
