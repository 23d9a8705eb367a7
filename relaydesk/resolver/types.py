"""What the AI attempt returns: the values the policy, the handoff and the records read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_id: str
    title: str
    version: int
    content_hash: str = ""
    url: str | None
    heading: str


class Attempt(BaseModel):
    model_config = ConfigDict(frozen=True)

    has_answer: bool
    answer: str | None
    confidence: float
    coverage: float  # did retrieval find anything relevant (best hit's topic-word coverage)
    citations: tuple[Citation, ...] = ()
    checked: tuple[Citation, ...] = ()  # every passage read, cited or not
    proposed_actions: tuple[str, ...] = ()
    ambiguity: float = 0.0  # runner-up article's score over the best one's
