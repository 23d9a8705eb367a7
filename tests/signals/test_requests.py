from __future__ import annotations

import pytest

from relaydesk.signals.ask_patterns import HUMAN_PATTERNS, TRIGGERS
from relaydesk.signals.normalise import correct, normalise
from relaydesk.signals.requests import (
    HITS_PER_PATTERN,
    TRIGGER_MAX,
    WINDOW,
    _matches,
    _windows,
    human_request,
    legal_threat,
    manager_request,
    requests,
    urgency,
)


@pytest.mark.parametrize(
    "text",
    [
        "stop and let me talk to a real person",
        "humen pls",
        "r u a bot? i want an actual person",
        "HUMAN PLEASE",
        "i wanna speak to sum1... no, to someone else. a humann!!",
        "this is useless, transfer me to an agent now",
        "can i tlak to a represntative",
        "I need to speak tosomebody",
        "you are a stupid bot, get me a live agent",
        "I don't want to talk to a bot",
        "this bot is useless",
        "I've tried everything, the tracking is stuck, honestly just put me through to someone "
        "real, and also can you check the address",
        "I am trying to chat with a damn agent",
        "could you transfer me to the billing department please",
        "pleeeease let me talk to a persn",
    ],
)
def test_asks_for_a_person_with_typos_slang_and_rudeness(text: str) -> None:
    signal = human_request(text)
    assert signal.value, text
    assert signal.score >= 0.5
    assert signal.evidence


@pytest.mark.parametrize(
    "text",
    [
        "I don't need a person, just tell me where my order is",
        "no need for an agent, I found it",
        "am I talking to a real person?",
        "Is the person who packs my order careful?",
        "Someone else used my card without permission",
        "I want to send the money to someone else",
        "agent orange",
        "How do I reset my password?",
        "I spoke to an agent yesterday",
        "",
    ],
)
def test_negations_mentions_and_questions_are_not_asks(text: str) -> None:
    assert not human_request(text).value, text


def test_are_you_a_bot_alone_is_a_cue_not_an_ask() -> None:
    signal = human_request("are you a bot?")
    assert not signal.value
    assert 0 < signal.score < 0.5
    assert signal.evidence == ("are you a bot",)


def test_evidence_quotes_the_customers_own_words() -> None:
    assert human_request("Humen PLS!!").evidence == ("Humen PLS",)
    assert manager_request("get me ur supervsor").evidence == ("get me ur supervsor",)


@pytest.mark.parametrize(
    "text", ["get me your supervisor", "I want to speak to a manager", "escalate this now",
             "MANAGER NOW", "can i talk to someone in charge"],
)  # fmt: skip
def test_manager_requests(text: str) -> None:
    assert manager_request(text).value, text


@pytest.mark.parametrize(
    "text", ["my manager asked me to order shoes", "who is your boss?", "I managed to fix it"]
)
def test_manager_mentions_are_not_requests(text: str) -> None:
    assert not manager_request(text).value, text


@pytest.mark.parametrize(
    "text",
    ["my lawyer will hear about this", "I'm going to sue you", "see you in court",
     "I'll report you to the ombudsman", "my lawer will be in touch"],
)  # fmt: skip
def test_legal_threats(text: str) -> None:
    assert legal_threat(text).value, text


def test_legal_words_that_are_not_threats() -> None:
    assert not legal_threat("Sue from accounts said hi").value
    assert not legal_threat("is the food court open").value


def test_urgency_and_its_negation() -> None:
    assert urgency("I need it today!").value
    assert urgency("this is URGENT").value
    assert not urgency("no rush, whenever suits").value
    assert not urgency("it's not urgent").value


def test_all_four_from_one_reading() -> None:
    found = requests("Get me your supervisor. My lawyer will hear about this. I need it today!")
    assert (found.human.value, found.manager.value, found.legal.value, found.urgency.value) == (
        False, True, True, True,
    )  # fmt: skip


@pytest.mark.parametrize("value", [None, 42, b"human please", ["human"], 3.5])
def test_non_text_is_a_quiet_result(value: object) -> None:
    assert not human_request(value).value
    assert normalise(value).joined == ""


def test_huge_and_mixed_language_messages_never_crash() -> None:
    huge = "bonjour, je voudrais parler à quelqu'un. " * 20_000 + " let me talk to a human"
    signal = human_request(huge)
    assert signal.value  # the tail of a long message is read
    assert not human_request("我想和客服说话 🙂 ¿dónde está mi pedido?").value
    assert human_request("¿hola? talk to a human please 🙏").value


def test_corrections_are_limited_to_the_lexicon_and_spare_real_words() -> None:
    assert correct("supervsor") == "supervisor"
    assert correct("huamn") == "human"
    assert correct("managed") == "managed"
    assert correct("layer") == "layer"
    assert correct("table") == "table"


@pytest.mark.parametrize(
    "text",
    [
        "agent",
        "Agent please!",
        "hi, human",
        "AGENT PLS",
        "agnet",
        "representative pls",
        "an operator please",
        "customer care please",
        "Customer service.",
        "I need customer support",
        "my parcel is lost and i want customer care asap",
        "contact support",
        "connect me to customer service",
        "anyone there??",
        "hello, is ther anybody available to help",
        "Is anyone online to chat?",
        "somebody please!",
        "is there someone I could speak with?",
        "I'd like to talk to your executive",
        "can I speak with a customer care executive",
        "Talk.",
        "can i talk to u",
        "a human to answer please",
        "agent to chat",
        "I need an agent to help me with the refund",
        "The app keeps crashing. Agent please.",
    ],
)
def test_short_bare_asks_a_chat_widget_sees(text: str) -> None:
    signal = human_request(text)
    assert signal.value, text
    assert signal.evidence


@pytest.mark.parametrize(
    "text",
    [
        "please call me back",
        "call me back asap",
        "Please call me",
        "call me now",
        "could someone call me?",
        "I would like a call from one of your representatives",
        "can I book a callback",
    ],
)
def test_a_callback_is_an_ask_for_a_person(text: str) -> None:
    assert human_request(text).value, text


@pytest.mark.parametrize(
    "text",
    [
        # negations
        "I do not need an agent",
        "don't need a chat agent, thanks",
        "please don't call me back",
        "I don't need customer support, it works now",
        # questions about the service, not asks for it
        "what are the customer care hours",
        "customer care number not available",
        "give me the customer support email",
        "how do I get customer service",
        "I need the customer service number",
        # mentions, answers and other uses of the words
        "agent orange",
        "the agent was rude",
        "your customer service is bad",
        "I asked an agent to help me last week",
        "my insurance agent to help with the claim",
        "is anyone available on saturday to take the delivery",
        "is someone available to pick up the parcel",
        "call me sam from now on",
        "can you call me a different name",
        "Person.",
        "Someone.",
        "human error",
        "Can I talk to you about my order",
    ],
)
def test_bare_words_in_negations_questions_and_mentions_do_not_fire(text: str) -> None:
    assert not human_request(text).value, text


def test_a_whole_clause_ask_quotes_only_its_clause() -> None:
    signal = human_request("The app keeps crashing. Agent please.")
    assert signal.evidence == ("Agent please",)


def test_clauses_are_the_words_between_breaks() -> None:
    words = normalise("Hello, anyone there?? ok")
    assert [words.joined[start:end] for start, end in words.clauses] == [
        "hello", "anyone there", "ok",
    ]  # fmt: skip
    assert normalise("").clauses == ()


@pytest.mark.parametrize(
    "text",
    [
        "the reagent for a human please, don't talk to a bot, talk to an agent",
        "caret human; 'agent' please. somebody else please and the manager",
        "I need to speak tosomebody real about my account " * 20,
    ],
)
def test_scanning_finds_the_same_matches_as_the_word_bounded_patterns(text: str) -> None:
    # ``_matches`` scans without the leading \b and checks word starts itself, for speed.
    words = normalise(text)
    windows = _windows(words, TRIGGERS["human"])
    found = 0
    for pattern in HUMAN_PATTERNS:
        expected = {
            match.span()
            for start, end in windows
            for match in pattern.regex.finditer(words.joined, start, end)
        }
        assert {match.span() for match in _matches(pattern, words, windows)} == expected
        found += len(expected)
    assert found > 0


def test_windows_skip_only_triggers_inside_them() -> None:
    # ``_windows`` skips triggers that cannot stretch a window; that needs short trigger words.
    for trigger in TRIGGERS.values():
        words = trigger.pattern.removeprefix(r"\b(?:").removesuffix(")").split("|")
        assert max(len(word) for word in words) < TRIGGER_MAX
    text = "someone " * 100 + "x " * 200 + "agent"
    words = normalise(text)
    size = len(words.joined)
    assert _windows(words, TRIGGERS["human"]) == [
        (0, 99 * len("someone ") + len("some") + WINDOW),  # the trigger is "some"
        (size - len("agent") - WINDOW, size),
    ]


def test_an_ask_repeated_all_through_an_email_keeps_its_score_and_a_few_quotes() -> None:
    once = human_request("Please let me talk to a person.")
    email = " ".join(f"Order {n} is late, please let me talk to a person." for n in range(50))
    repeated = human_request(email)
    assert (repeated.value, repeated.score) == (once.value, once.score)
    assert 1 <= len(repeated.evidence) <= HITS_PER_PATTERN
