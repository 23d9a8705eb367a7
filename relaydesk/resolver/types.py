"""What the AI attempt returns: the values the policy, the handoff and the records read."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_id: str
    title: str
    version: int
    content_hash: str = ""
    url: str | None
    heading: str


class ProposedAction(BaseModel):
    """An action the AI proposes, with its arguments. Only a proposal: the message path
    authorizes it outside the model (relaydesk/actions) before anything runs."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ActionTaken(BaseModel):
    """What the message path did with a proposed action, for the handoff and the packet."""

    model_config = ConfigDict(frozen=True)

    action: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    status: str  # ran | denied | awaiting_approval | failed | invalid
    result: dict[str, Any] = Field(default_factory=dict)  # the mapped result, or the error
    policies: tuple[str, ...] = ()  # the Cedar policies that decided
    reasons: tuple[str, ...] = ()
    run_id: int | None = None
    approval_id: str | None = None
    team: str | None = None  # who approves it, when it waits


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
    # Which composer made it: "extractive" (quoted sentences) or "llm:<provider>:<model>".
    resolver: str = "extractive"
    # Why an answer was held back or needs review, e.g. "no_citation", "unsupported_sentence",
    # "provider_error" (relaydesk/resolver/llm.py lists them).
    flags: tuple[str, ...] = ()
    support: float | None = None  # the weakest sentence's grounding score, 0..1
    sentence_support: tuple[tuple[str, float], ...] = ()  # each answer sentence, its score
    unsupported: tuple[str, ...] = ()  # the sentences its cited passages do not support
    draft: str | None = None  # a held-back model answer, for QA to review; never sent
    proposals: tuple[ProposedAction, ...] = ()  # proposed actions with their arguments
    actions: tuple[ActionTaken, ...] = ()  # what the path did with them (relaydesk/actions)
