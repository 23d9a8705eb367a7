from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import turn
from support.openai_server import FakeModelServer, Script, fake_model_server

from relaydesk.knowledge import Article, KnowledgeIndex
from relaydesk.knowledge.articles import Passage
from relaydesk.knowledge.index import Hit
from relaydesk.resolver.llm import NO_ANSWER, SYSTEM, llm_attempt, llm_attempt_answer, parse_reply
from relaydesk.resolver.providers import (
    AnthropicMessages,
    OpenAICompatible,
    Provider,
    provider_from_settings,
)
from relaydesk.settings import Settings
from relaydesk.signals import detect_signals

RETURNS = Article(id="returns", title="Returns", body="", url="https://shop.example/returns")
SHIPPING = Article(id="shipping", title="Shipping", body="")
WINDOW = "You have 30 days to return unworn shoes for a full refund."
FINAL_SALE = "Final-sale items cannot be returned."
HITS = [
    Hit(Passage(article=RETURNS, heading="Window", text=WINDOW), score=9.0, coverage=0.8),
    Hit(Passage(article=RETURNS, heading="Final sale", text=FINAL_SALE), score=4.0, coverage=0.4),
]
QUESTION = "How long do I have to return my running shoes?"


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with fake_model_server() as server:
        yield server


def openai_provider(server: FakeModelServer, **options: float) -> Provider:
    settings = Settings(
        llm_provider="openai",
        llm_model="test-model",
        llm_base_url=f"{server.url}/v1",
        llm_api_key="test-key",
        llm_timeout_seconds=options.get("timeout", 5.0),
        llm_max_retries=int(options.get("retries", 0)),
    )
    provider = provider_from_settings(settings)
    assert isinstance(provider, OpenAICompatible)
    return provider


def test_a_grounded_answer_with_valid_citations_goes_out(server: FakeModelServer) -> None:
    server.script("You can return unworn shoes within 30 days for a full refund [1].")
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server))
    assert attempt.has_answer
    assert attempt.answer == "You can return unworn shoes within 30 days for a full refund."
    assert [c.heading for c in attempt.citations] == ["Window"]
    assert attempt.flags == ()
    assert attempt.unsupported == ()
    assert attempt.support is not None
    assert attempt.support >= 0.8
    assert attempt.resolver == "llm:openai:test-model"
    assert len(attempt.checked) == 2


def test_a_reply_citing_nothing_is_held_back_and_flagged(server: FakeModelServer) -> None:
    server.script("You can return unworn shoes within 30 days for a full refund.")
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.answer is None
    assert attempt.flags == ("no_citation",)
    assert attempt.draft is not None
    assert "30 days" in attempt.draft


def test_a_citation_of_a_passage_not_given_is_held_back(server: FakeModelServer) -> None:
    server.script("You have 30 days to return unworn shoes [3].")
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.flags == ("invalid_citation",)


def test_a_claim_its_source_does_not_make_is_held_back_with_the_sentence(
    server: FakeModelServer,
) -> None:
    server.script(
        "Sure! You can return unworn shoes for a full refund [1]. "
        "Refunds arrive within 60 days [1]."
    )
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.answer is None
    assert attempt.flags == ("unsupported_sentence",)
    assert attempt.unsupported == ("Refunds arrive within 60 days.",)
    scores = dict(attempt.sentence_support)
    assert scores["Refunds arrive within 60 days."] <= 0.1
    assert scores["You can return unworn shoes for a full refund."] >= 0.8
    assert attempt.support == scores["Refunds arrive within 60 days."]


def test_a_flipped_negation_is_held_back(server: FakeModelServer) -> None:
    server.script("Final-sale items can be returned [2].")
    attempt = llm_attempt("Can I return final sale items?", HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.unsupported == ("Final-sale items can be returned.",)


def test_no_answer_from_the_model_is_no_answer(server: FakeModelServer) -> None:
    server.script(NO_ANSWER)
    attempt = llm_attempt("Do you sell gift cards?", HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.flags == ("model_no_answer",)
    assert attempt.draft is None


def test_a_truncated_reply_is_held_back(server: FakeModelServer) -> None:
    server.script(Script(text="You have 30 days to [1]", finish_reason="length"))
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server))
    assert not attempt.has_answer
    assert attempt.flags == ("truncated",)


def test_a_provider_timeout_is_no_answer_not_a_crash(server: FakeModelServer) -> None:
    server.script(Script(text="late [1]", delay=2.0))
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server, timeout=0.3))
    assert not attempt.has_answer
    assert attempt.flags == ("provider_error:timeout",)


def test_a_server_error_is_retried_once_then_no_answer(server: FakeModelServer) -> None:
    server.script(Script(status=500, text="boom"), Script(status=500, text="boom"))
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server, retries=1))
    assert not attempt.has_answer
    assert attempt.flags == ("provider_error:status",)
    assert len(server.requests) == 2


def test_a_retry_after_a_server_error_can_still_answer(server: FakeModelServer) -> None:
    server.script(Script(status=503), "You have 30 days to return unworn shoes [1].")
    attempt = llm_attempt(QUESTION, HITS, openai_provider(server, retries=1))
    assert attempt.has_answer


def test_nothing_retrieved_asks_no_model(server: FakeModelServer) -> None:
    attempt = llm_attempt(QUESTION, [], openai_provider(server))
    assert not attempt.has_answer
    assert server.requests == []


def test_the_prompt_holds_only_the_retrieved_passages(server: FakeModelServer) -> None:
    server.script(NO_ANSWER)
    llm_attempt(QUESTION, HITS[:1], openai_provider(server))
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    body = request.body
    assert body["model"] == "test-model"
    assert body["temperature"] == 0
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM}
    assert "[1] Returns — Window" in user["content"]
    assert WINDOW in user["content"]
    assert FINAL_SALE not in user["content"]
    assert "[2]" not in user["content"]
    assert user["content"].endswith(QUESTION)


def anthropic_provider(server: FakeModelServer) -> Provider:
    settings = Settings(
        llm_provider="anthropic",
        llm_model="claude-test",
        llm_base_url=server.url,
        llm_api_key="test-key",
        llm_max_retries=0,
    )
    provider = provider_from_settings(settings)
    assert isinstance(provider, AnthropicMessages)
    return provider


def test_the_anthropic_path_goes_through_the_same_check(server: FakeModelServer) -> None:
    server.script(
        "You can return unworn shoes within 30 days for a full refund [1].",
        "You can return unworn shoes within 45 days [1].",
    )
    provider = anthropic_provider(server)
    sent = llm_attempt(QUESTION, HITS, provider)
    held = llm_attempt(QUESTION, HITS, provider)
    assert sent.has_answer
    assert sent.resolver == "llm:anthropic:claude-test"
    assert not held.has_answer
    assert held.unsupported == ("You can return unworn shoes within 45 days.",)
    request = server.requests[0]
    assert request.path == "/v1/messages"
    assert "anthropic-version" in request.headers
    # The SDK sends the key as x-api-key, or (2.x) as a bearer token.
    keys = {request.headers.get("x-api-key"), request.headers.get("authorization")}
    assert keys & {"test-key", "Bearer test-key"}
    assert request.body["system"] == SYSTEM
    assert request.body["max_tokens"] == 400
    assert [m["role"] for m in request.body["messages"]] == ["user"]


def test_an_anthropic_server_error_is_no_answer(server: FakeModelServer) -> None:
    server.script(Script(status=529, text="overloaded"))
    attempt = llm_attempt(QUESTION, HITS, anthropic_provider(server))
    assert not attempt.has_answer
    assert attempt.flags == ("provider_error:status",)


def test_the_message_path_shape_retrieves_then_asks(server: FakeModelServer) -> None:
    article = Article(id="returns", title="Returns", body=f"## Window\n{WINDOW}\n")
    server.script("You have 30 days to return unworn shoes [1].")
    signals = detect_signals(turn(QUESTION), ())
    attempt = llm_attempt_answer(
        turn(QUESTION), signals, KnowledgeIndex([article]), openai_provider(server)
    )
    assert attempt.has_answer
    assert attempt.citations[0].article_id == "returns"


def test_no_provider_is_configured_by_default() -> None:
    assert provider_from_settings(Settings()) is None


def test_a_provider_without_a_model_is_refused() -> None:
    with pytest.raises(ValueError, match="RELAYDESK_LLM_MODEL"):
        Settings(llm_provider="openai")


def test_citation_markers_after_the_full_stop_stay_with_their_sentence() -> None:
    sentences = parse_reply("Returns take 30 days. [1] Final sale is final [2, 1].\nThanks!")
    assert [(s.text, s.cites) for s in sentences] == [
        ("Returns take 30 days.", (1,)),
        ("Final sale is final.", (2, 1)),
        ("Thanks!", ()),
    ]
