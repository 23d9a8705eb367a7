from __future__ import annotations

import pytest

from relaydesk.signals.normalise import correct, normalise
from relaydesk.signals.requests import (
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
