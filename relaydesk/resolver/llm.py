"""The LLM attempt: a model writes a short answer from numbered passages, and it is checked.

The model sees only the retrieved passages, numbered, and must cite them as ``[n]`` or reply
``NO_ANSWER``. Its reply is sent only if every claim is supported by the passages it cites
(``relaydesk.resolver.grounding``). Otherwise the attempt has no answer: the reply is kept as
``draft`` with ``flags`` saying why, and ``unsupported`` naming the sentences, so the policy
hands the conversation to a person and QA can review the draft.

Flags: ``provider_error:<kind>`` (timeout, connection, status, empty, sdk), ``model_no_answer``,
``truncated``, ``no_citation``, ``invalid_citation``, ``unsupported_sentence``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from relaydesk.conversations.turn import Turn
from relaydesk.knowledge.embeddings import Embedder
from relaydesk.knowledge.index import Hit, KnowledgeIndex
from relaydesk.resolver.attempt import ambiguity, citation_of, confidence, coverage
from relaydesk.resolver.grounding import SupportResult, answer_support, split_sentences
from relaydesk.resolver.grounding import support_all as check_sentences
from relaydesk.resolver.providers import ChatMessage, Provider, ProviderError
from relaydesk.resolver.types import Attempt
from relaydesk.signals.types import Signals

log = logging.getLogger(__name__)

NO_ANSWER = "NO_ANSWER"
MAX_PASSAGE_CHARS = 2_000  # a passage is a section; this bounds the prompt whatever the KB
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_NO_ANSWER = re.compile(rf"^\W*{NO_ANSWER}\W*$")

SYSTEM = f"""You answer a customer's support message for the company, using only the numbered \
knowledge-base passages you are given.

- Write one to three short sentences in plain language, speaking to the customer. Do not copy \
the passages wholesale, and no lists or headings.
- End every sentence with the number of the passage it comes from, like [1] or [1][2].
- State nothing the passages do not say: no numbers, times, amounts, prices or promises of your \
own, and keep "not", "never" and "only" exactly as the passages have them.
- If the passages do not answer the message, reply with exactly {NO_ANSWER} and nothing else."""


@dataclass(frozen=True)
class Sentence:
    text: str  # without its [n] markers
    cites: tuple[int, ...]  # 1-based passage numbers


def build_prompt(turn_text: str, hits: Sequence[Hit]) -> tuple[str, list[ChatMessage]]:
    """The system prompt, and one user message: the numbered passages, then the customer's."""
    blocks = [
        f"[{n}] {h.passage.article.title} — {h.passage.heading}\n"
        f"{h.passage.text[:MAX_PASSAGE_CHARS]}"
        for n, h in enumerate(hits, start=1)
    ]
    body = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nCustomer message:\n{turn_text}"
    return SYSTEM, [ChatMessage(role="user", content=body)]


def _cites(text: str) -> tuple[int, ...]:
    return tuple(int(n) for group in _MARKER.findall(text) for n in re.split(r"[,;]", group))


def parse_reply(text: str) -> list[Sentence]:
    """Sentences with the passages each cites; a marker after the full stop stays with it."""
    sentences: list[Sentence] = []
    for piece in split_sentences(text):
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            last = sentences[-1]
            sentences[-1] = Sentence(last.text, last.cites + _cites(leading.group()))
            piece = piece[leading.end() :]
        plain = re.sub(r"\s+([.!?,;:])", r"\1", _MARKER.sub("", piece)).strip()
        if re.search(r"\w", plain):
            sentences.append(Sentence(plain, _cites(piece)))
    return sentences


def _check(
    sentences: list[Sentence], hits: Sequence[Hit], context: str, embedder: Embedder | None
) -> list[SupportResult]:
    cited_anywhere = sorted({n for s in sentences for n in s.cites})
    results = []
    for sentence in sentences:
        numbers = sentence.cites or tuple(cited_anywhere)
        passages = [hits[n - 1].passage.text for n in numbers]
        results += check_sentences([sentence.text], passages, embedder=embedder, context=context)
    return results


def _held_back(base: Attempt, draft: str | None, *flags: str, **evidence: object) -> Attempt:
    return base.model_copy(
        update={"has_answer": False, "answer": None, "draft": draft, "flags": flags, **evidence}
    )


def llm_attempt(
    turn_text: str,
    hits: Sequence[Hit],
    provider: Provider,
    *,
    embedder: Embedder | None = None,
    max_tokens: int = 400,
) -> Attempt:
    """Ask the model, check its answer against its citations; never raises for the provider."""
    resolver = f"llm:{provider.name}:{provider.model}"
    if not hits:  # nothing to ground an answer in: the model is not asked
        return Attempt(has_answer=False, answer=None, confidence=0, coverage=0, resolver=resolver)
    found = coverage(hits[0])  # scored as the extractive resolver scores it
    base = Attempt(
        has_answer=False,
        answer=None,
        confidence=found,
        coverage=found,
        checked=tuple(dict.fromkeys(citation_of(h) for h in hits)),
        ambiguity=ambiguity(list(hits), hits[0]),
        resolver=resolver,
    )
    system, messages = build_prompt(turn_text, hits)
    try:
        completion = provider.complete(system, messages, max_tokens=max_tokens, temperature=0.0)
    except ProviderError as error:
        log.warning("LLM provider %s failed: %s", provider.name, error)
        return _held_back(base, None, f"provider_error:{error.kind}")
    return judge_reply(completion.text, completion.finish_reason, base, hits, turn_text, embedder)


def judge_reply(
    reply: str,
    finish_reason: str | None,
    base: Attempt,
    hits: Sequence[Hit],
    turn_text: str,
    embedder: Embedder | None = None,
) -> Attempt:
    """The attempt for a model's reply: sent only if cited and supported sentence by sentence."""
    if _NO_ANSWER.match(reply.strip()):
        return _held_back(base, None, "model_no_answer")
    if finish_reason in {"length", "max_tokens"}:
        return _held_back(base, reply, "truncated")
    sentences = parse_reply(reply)
    cited = sorted({n for s in sentences for n in s.cites})
    if not cited:
        return _held_back(base, reply, "no_citation")
    if any(n < 1 or n > len(hits) for n in cited):
        return _held_back(base, reply, "invalid_citation")
    checked = list(zip(sentences, _check(sentences, hits, turn_text, embedder), strict=True))
    score = answer_support([r for _, r in checked])
    unsupported = tuple(s.text for s, r in checked if r.claim and not r.supported)
    evidence = {
        "support": score,
        "sentence_support": tuple((s.text, r.score) for s, r in checked),
        "unsupported": unsupported,
        "citations": tuple(dict.fromkeys(citation_of(hits[n - 1]) for n in cited)),
    }
    if unsupported or not any(r.claim for _, r in checked):
        return _held_back(base, reply, "unsupported_sentence", **evidence)
    answer = " ".join(s.text for s, _ in checked)
    grounded = min(confidence(list(hits), hits[0]), score)
    return base.model_copy(
        update={"has_answer": True, "answer": answer, "confidence": round(grounded, 3), **evidence}
    )


def llm_attempt_answer(
    turn: Turn,
    signals: Signals,
    index: KnowledgeIndex,
    provider: Provider,
    *,
    embedder: Embedder | None = None,
    k: int = 5,
    max_tokens: int = 400,
) -> Attempt:
    """``attempt_answer``'s shape, for the message path: retrieve, then ``llm_attempt``."""
    del signals
    hits = index.search(turn.text, k=k)
    return llm_attempt(turn.text, hits, provider, embedder=embedder, max_tokens=max_tokens)
