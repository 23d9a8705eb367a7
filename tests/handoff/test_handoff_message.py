"""The customer's handoff message: their words, what was checked, the team and the live wait."""

from __future__ import annotations

from datetime import datetime

import pytest
from factories import turn
from handoff_values import (
    BILLING_ARTICLE,
    PARIS,
    SHIPPING_ARTICLE,
    WARRANTY_ARTICLE,
    attempt,
    decision,
    signals,
    wait,
    with_waits,
)

from relaydesk.handoff import compose_handoff, plain_handoff
from relaydesk.handoff.compose import quote_ask
from relaydesk.pipeline import Parts, run
from relaydesk.queue.wait import WaitEstimate

CHARGED_TWICE = "why was I charged twice this month?"
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
SUNDAY_10 = datetime(2026, 11, 22, 10, 0, tzinfo=PARIS)

# What each shipped locale must say, written out by hand (not read from the templates).
SAYS = {
    "en": {
        "apology": "I'm sorry",
        "checked": "I checked our help article",
        "one_minute": "about 1 minute.",
        "seven": "about 7 minutes",
        "monday": "opens on Monday at 09:00",
        "tomorrow": "opens tomorrow at 10:00",
        "nobody": "Nobody from the team is online right now",
        "no_repeat": "you won't need to repeat",
    },
    "es": {
        "apology": "Siento mucho",
        "checked": "He revisado nuestro artículo de ayuda",
        "one_minute": "es de un minuto",
        "seven": "unos 7 minutos",
        "monday": "vuelve el lunes a las 09:00",
        "tomorrow": "vuelve mañana a las 10:00",
        "nobody": "no hay nadie del equipo conectado",
        "no_repeat": "no tendrás que repetir nada",
    },
    "fr": {
        "apology": "Toutes nos excuses",
        "checked": "J'ai consulté notre article d'aide",
        "one_minute": "environ 1 minute.",
        "seven": "environ 7 minutes",
        "monday": "reprend lundi à 09:00",
        "tomorrow": "reprend demain à 10:00",
        "nobody": "Personne de l'équipe n'est en ligne",
        "no_repeat": "vous n'aurez rien à répéter",
    },
    "de": {
        "apology": "Es tut mir wirklich leid",
        "checked": "Ich habe unseren Hilfeartikel",
        "one_minute": "etwa 1 Minute.",
        "seven": "etwa 7 Minuten",
        "monday": "am Montag ab 09:00 Uhr wieder da",
        "tomorrow": "morgen ab 10:00 Uhr wieder da",
        "nobody": "niemand aus dem Team online",
        "no_repeat": "Sie müssen also nichts wiederholen",
    },
}
LOCALES = sorted(SAYS)


def compose(
    locale: str,
    *waits: WaitEstimate,
    upset: bool = False,
    checked: bool = True,
    **fired: tuple[str, ...],
) -> str:
    given = with_waits(turn(CHARGED_TWICE), *waits, locale=locale)
    found = signals(**({"frustration": ("useless",)} if upset else {}), **fired)
    read = attempt(BILLING_ARTICLE) if checked else attempt()
    message = compose_handoff(given, found, read, decision())
    assert message.locale == locale
    return message.text


def test_the_charged_twice_handoff_end_to_end(parts: Parts) -> None:
    outcome = run(with_waits(turn(CHARGED_TWICE), wait(4)), parts)
    handoff = outcome.handoff
    assert handoff is not None
    assert (handoff.team, handoff.team_label, handoff.locale) == ("billing", "Billing", "en")
    assert handoff.wait is not None
    assert handoff.wait.minutes == 4
    assert f'"{CHARGED_TWICE}"' in handoff.text
    assert "our Billing team" in handoff.text
    assert "about 4 minutes" in handoff.text
    assert '"Billing, charges and invoices"' in handoff.text
    assert "Billing, charges and invoices" in handoff.checked
    assert "Warranty" not in handoff.text  # read by the AI, but nothing to do with the ask
    assert "Warranty and faulty shoes" not in handoff.checked


def test_the_charged_twice_handoff_in_spanish(parts: Parts) -> None:
    outcome = run(with_waits(turn(CHARGED_TWICE), wait(4), locale="es"), parts)
    assert outcome.handoff is not None
    text = outcome.handoff.text
    assert f"«{CHARGED_TWICE}»" in text
    assert "equipo de Billing" in text
    assert "unos 4 minutos" in text
    assert "«Billing, charges and invoices»" in text
    assert "no tendrás que repetir nada" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_gives_the_wait_in_minutes(locale: str) -> None:
    text = compose(locale, wait(7))
    assert SAYS[locale]["seven"] in text
    assert SAYS[locale]["checked"] in text
    assert SAYS[locale]["no_repeat"] in text
    assert CHARGED_TWICE in text
    assert "Billing" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_says_one_minute_in_the_singular(locale: str) -> None:
    text = compose(locale, wait(1))
    assert SAYS[locale]["one_minute"] in text
    assert "1 minutes" not in text
    assert "1 Minuten" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_says_when_an_offline_team_opens(locale: str) -> None:
    monday = compose(locale, wait(None, open=False, opens_at=MONDAY_9))
    assert SAYS[locale]["monday"] in monday
    tomorrow = compose(locale, wait(None, open=False, opens_at=SUNDAY_10))
    assert SAYS[locale]["tomorrow"] in tomorrow


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_says_when_nobody_is_online(locale: str) -> None:
    text = compose(locale, wait(None))
    assert SAYS[locale]["nobody"] in text
    assert SAYS[locale]["seven"] not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_claims_no_checking_when_nothing_relevant_was_read(locale: str) -> None:
    text = compose(locale, wait(7), checked=False)
    assert SAYS[locale]["checked"] not in text
    assert "Billing, charges and invoices" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_apologises_first_and_keeps_it_short_when_frustrated(locale: str) -> None:
    calm = compose(locale, wait(7))
    upset = compose(locale, wait(7), upset=True)
    assert upset.startswith(SAYS[locale]["apology"])
    assert SAYS[locale]["apology"] not in calm
    assert SAYS[locale]["checked"] not in upset
    assert SAYS[locale]["seven"] in upset
    assert len(upset) < len(calm)


def test_a_repeated_ask_counts_as_upset() -> None:
    given = with_waits(turn(CHARGED_TWICE), wait(7))
    message = compose_handoff(given, signals(repeat=2), attempt(BILLING_ARTICLE), decision())
    assert message.text.startswith("I'm sorry")


def test_urgency_is_acknowledged() -> None:
    assert "I've let them know it's urgent." in compose("en", wait(7), urgency=("today",))
    assert "urgent" not in compose("en", wait(7))


def test_an_offline_team_opening_later_today() -> None:
    later = datetime(2026, 11, 21, 14, 30, tzinfo=PARIS)
    assert "opens today at 14:30" in compose("en", wait(None, open=False, opens_at=later))


def test_only_relevant_articles_are_named_even_when_an_irrelevant_one_was_cited() -> None:
    given = with_waits(turn(CHARGED_TWICE), wait(7))
    read = attempt(WARRANTY_ARTICLE, BILLING_ARTICLE)
    message = compose_handoff(given, signals(), read, decision())
    assert message.checked == ("Billing, charges and invoices",)
    # Retrieval ranks something first for any message; being cited does not make it relevant.
    cited = attempt(WARRANTY_ARTICLE, BILLING_ARTICLE, cited=(WARRANTY_ARTICLE,))
    both = compose_handoff(given, signals(), cited, decision())
    assert both.checked == ("Billing, charges and invoices",)
    assert "Warranty" not in both.text
    assert 'help article "Billing, charges and invoices"' in both.text


def test_words_common_to_all_support_messages_do_not_make_an_article_relevant() -> None:
    text = "This is the third time I'm asking. Can I please talk to a real person?"
    shipping = attempt(SHIPPING_ARTICLE, cited=(SHIPPING_ARTICLE,))
    message = compose_handoff(with_waits(turn(text), wait(1)), signals(), shipping, decision())
    assert message.checked == ()
    assert "checked" not in message.text


def test_no_wait_is_promised_without_an_estimate() -> None:
    message = compose_handoff(turn(CHARGED_TWICE), signals(), attempt(), decision("senior"))
    assert message.wait is None
    assert "minute" not in message.text
    assert "online" not in message.text
    assert message.team_label == "senior"  # no estimate, no label: the team's name


@pytest.mark.parametrize(("given", "used"), [("es-MX", "es"), ("FR", "fr"), ("pt-BR", "en")])
def test_locales_fall_back_to_their_language_then_english(given: str, used: str) -> None:
    message = compose_handoff(
        with_waits(turn(CHARGED_TWICE), wait(7), locale=given), signals(), attempt(), decision()
    )
    assert message.locale == used
    assert SAYS[used]["seven"] in message.text


def test_an_outburst_is_passed_over_for_the_ask_beside_it() -> None:
    given = with_waits(turn("This is RIDICULOUS!! useless. Where is my refund?"), wait(7))
    found = signals(frustration=("RIDICULOUS", "useless"))
    message = compose_handoff(given, found, attempt(), decision())
    assert message.ask == "Where is my refund?"
    assert "RIDICULOUS" not in message.text


def test_an_ask_said_in_anger_is_still_quoted() -> None:
    text = "This is useless, let me talk to a real person"
    given = with_waits(turn(text), wait(7))
    message = compose_handoff(given, signals(frustration=("useless",)), attempt(), decision())
    assert message.ask == text


def test_an_empty_message_is_passed_on_without_a_quote() -> None:
    message = compose_handoff(with_waits(turn("  "), wait(7)), signals(), attempt(), decision())
    assert message.ask == ""
    assert "I'm passing your message to our Billing team." in message.text


def test_the_fail_safe_handoff_is_localised_and_claims_nothing() -> None:
    given = with_waits(turn(CHARGED_TWICE), wait(7), locale="de")
    message = plain_handoff(given, decision())
    assert message.text.startswith("Ich gebe Ihre Nachricht an unser Team Billing weiter.")
    assert "etwa 7 Minuten" in message.text
    assert CHARGED_TWICE not in message.text
    assert message.checked == ()


def test_quotes_the_customers_question() -> None:
    text = "Hi there. Can I return shoes I bought on clearance? They're a bit tight."
    assert quote_ask(text) == "Can I return shoes I bought on clearance?"


def test_long_asks_are_trimmed_at_a_word() -> None:
    quoted = quote_ask("word " * 100)
    assert len(quoted) <= 140
    assert quoted.endswith("word…")


def test_the_frustrated_path_through_the_pipeline(parts: Parts) -> None:
    text = "This is RIDICULOUS, useless, worst service!! get me a human"
    outcome = run(with_waits(turn(text), wait(3, team="frontline", label="Customer care")), parts)
    assert outcome.handoff is not None
    assert outcome.handoff.text.startswith("I'm sorry")
    assert "our Customer care team" in outcome.handoff.text
    assert "about 3 minutes" in outcome.handoff.text


def test_a_handoff_without_waits_names_the_team_and_only_articles_really_read(
    parts: Parts,
) -> None:
    outcome = run(turn("I want to close my account, how do I do it?"), parts)
    assert outcome.handoff is not None
    text = outcome.handoff.text
    assert '"I want to close my account, how do I do it?"' in text
    assert "our specialists team" in text
    read = {p.article.title for p in parts.knowledge.passages}
    assert set(outcome.handoff.checked) <= read
    assert "minutes" not in text  # no wait is promised before the queue can estimate one
