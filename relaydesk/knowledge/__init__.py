"""Knowledge-base articles, their passages, and retrieval over them."""

from relaydesk.knowledge.articles import Article, Passage, load_markdown_dir
from relaydesk.knowledge.index import Hit, KnowledgeIndex

__all__ = ["Article", "Hit", "KnowledgeIndex", "Passage", "load_markdown_dir"]
