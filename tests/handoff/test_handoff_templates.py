"""Handoff templates: the shipped locales, a company's own directory, and broken files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import turn
from handoff_values import wait, with_waits

from relaydesk.handoff.templates import (
    PIECES,
    SHIPPED_DIR,
    WEEKDAYS,
    TemplateError,
    load_templates,
    read_file,
)
from relaydesk.pipeline import run
from relaydesk.settings import Settings
from relaydesk.startup import load_parts


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("locale", ["en", "es", "fr", "de"])
def test_every_shipped_locale_is_complete_on_its_own(locale: str) -> None:
    pieces = read_file(SHIPPED_DIR / f"{locale}.yaml")
    assert set(pieces) == {*PIECES, WEEKDAYS}


def test_shipped_locales_are_distinct_translations() -> None:
    templates = load_templates()
    english = templates.pick("en").texts
    for locale in ("es", "fr", "de"):
        translated = templates.pick(locale).texts
        same = [name for name in PIECES if translated[name] == english[name]]
        assert same in ([], ["default_team"]), f"{locale} leaves {same} in English"


def test_a_custom_piece_overrides_and_the_rest_falls_back(tmp_path: Path) -> None:
    write(tmp_path, "en.yaml", 'no_repeat: "Our {team} folks have the full history."\n')
    templates = load_templates(tmp_path)
    english = templates.pick("en")
    assert english.render("no_repeat", team="Billing") == "Our Billing folks have the full history."
    assert english.render("wait_minutes", minutes=4, team="Billing") == (
        "The wait right now is about 4 minutes."
    )
    # Spanish keeps its own shipped piece rather than the company's English one.
    assert "no tendrás que repetir" in templates.pick("es").render("no_repeat", team="x")


def test_a_custom_locale_falls_back_to_english_for_what_it_lacks(tmp_path: Path) -> None:
    write(tmp_path, "it.yaml", 'wait_minutes: "L\'attesa è di circa {minutes} minuti."\n')
    italian = load_templates(tmp_path).pick("it-IT")
    assert italian.locale == "it"
    assert italian.render("wait_minutes", minutes=5, team="x") == "L'attesa è di circa 5 minuti."
    assert italian.render("apology") == "I'm sorry this has been so frustrating."


def test_literal_braces_are_allowed(tmp_path: Path) -> None:
    write(tmp_path, "en.yaml", 'urgent: "Marked {{urgent}} for {team}."\n')
    assert load_templates(tmp_path).pick("en").render("urgent", team="Billing") == (
        "Marked {urgent} for Billing."
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('handover: "Passing {question} on to {team}."\n', "piece 'handover' uses {question}"),
        ('handover: "Passing {ask.__class__} on."\n', "piece 'handover' uses {ask.__class__}"),
        ('wait_minutes: "about {minutes:>5} minutes"\n', "piece 'wait_minutes' uses {minutes:>5}"),
        ('handover: "Passing {ask on."\n', "piece 'handover'"),
        ('no_repaet: "typo"\n', "unknown piece 'no_repaet'"),
        ("apology: [not, text]\n", "piece 'apology' must be a text"),
        ("weekdays: [Mon, Tue]\n", "piece 'weekdays' must list seven day names"),
        ("apology: 'unclosed\n", "cannot read the handoff template"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_a_broken_template_names_the_file_and_the_piece(
    tmp_path: Path, text: str, says: str
) -> None:
    path = write(tmp_path, "en.yaml", text)
    with pytest.raises(TemplateError) as raised:
        load_templates(tmp_path)
    assert str(path) in raised.value.message
    assert says in raised.value.message


def test_an_error_lists_the_placeholders_a_piece_may_use(tmp_path: Path) -> None:
    write(tmp_path, "fr.yaml", 'wait_offline: "Retour {when}."\n')
    with pytest.raises(TemplateError, match=r"its placeholders: \{opens\}, \{team\}"):
        load_templates(tmp_path)


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates(tmp_path / "nowhere")


def test_the_setting_reaches_the_message(tmp_path: Path) -> None:
    write(tmp_path, "en.yaml", 'wait_minutes: "Someone will be with you in about {minutes}."\n')
    parts = load_parts(Settings(handoff_templates_dir=tmp_path))
    given = with_waits(turn("why was I charged twice this month?"), wait(6))
    outcome = run(given, parts)
    assert outcome.handoff is not None
    assert "Someone will be with you in about 6." in outcome.handoff.text
    assert "you won't need to repeat anything" in outcome.handoff.text  # shipped piece


def test_a_broken_custom_directory_stops_start_up(tmp_path: Path) -> None:
    write(tmp_path, "de.yaml", 'handover: "Ihre Frage {frage}"\n')
    with pytest.raises(TemplateError, match=re.escape("de.yaml: piece 'handover' uses {frage}")):
        load_parts(Settings(handoff_templates_dir=tmp_path))
