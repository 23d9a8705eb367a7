"""The wording of a handoff, per locale: small named pieces in a YAML file a company can edit.

The shipped files live in ``relaydesk/handoff/locales/`` (``en``, ``es``, ``fr``, ``de``). A
company points ``RELAYDESK_HANDOFF_TEMPLATES_DIR`` at its own directory of ``<locale>.yaml``
files, each holding only the pieces it changes. A piece is looked up, in order, in the
company's file for the locale, the shipped file for it, the company's ``en.yaml`` and the
shipped ``en.yaml``; an unknown locale reads as ``en``.

Every file is checked when it is loaded: an unknown piece, a piece that is not text, or a
placeholder the piece cannot use is an error naming the file and the piece, so a typo stops
the start-up instead of reaching a customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Formatter

import yaml

from relaydesk.errors import Unprocessable

SHIPPED_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"

# Every text piece, and the placeholders it may use.
PIECES: dict[str, frozenset[str]] = {
    "apology": frozenset(),
    "handover": frozenset({"ask", "team"}),
    "handover_plain": frozenset({"team"}),
    "checked_one": frozenset({"articles", "team"}),
    "checked_many": frozenset({"articles", "team"}),
    "article": frozenset({"title"}),
    "and": frozenset(),
    "urgent": frozenset({"team"}),
    "wait_minutes": frozenset({"minutes", "team"}),
    "wait_one_minute": frozenset({"team"}),
    "wait_offline": frozenset({"opens", "team"}),
    "wait_nobody": frozenset({"team"}),
    "opens_today": frozenset({"time"}),
    "opens_tomorrow": frozenset({"time"}),
    "opens_on": frozenset({"weekday", "time"}),
    "no_repeat": frozenset({"team"}),
    "no_repeat_short": frozenset({"team"}),
    "default_team": frozenset(),
    "actions_done": frozenset({"actions", "team"}),
    "actions_waiting": frozenset({"actions", "team"}),
}
WEEKDAYS = "weekdays"  # the one list piece: seven day names, Monday first

Piece = str | tuple[str, ...]


class TemplateError(Unprocessable):
    """A handoff template file that cannot be used as written."""


@dataclass(frozen=True)
class Pieces:
    """The complete wording for one locale, every piece present."""

    locale: str
    texts: Mapping[str, str]
    weekdays: tuple[str, ...]

    def render(self, name: str, **values: object) -> str:
        return self.texts[name].format(**values)


@dataclass(frozen=True)
class Templates:
    """The wording for every locale that has a file; ``pick`` falls back to ``en``."""

    locales: Mapping[str, Pieces]

    def pick(self, locale: str) -> Pieces:
        wanted = locale.strip().lower().replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0]):
            if candidate in self.locales:
                return self.locales[candidate]
        return self.locales[DEFAULT_LOCALE]


def load_templates(directory: Path | None = None) -> Templates:
    """The shipped wording, with the pieces of ``directory`` (if given) laid over it."""
    if directory is None:
        return shipped_templates()
    if not directory.is_dir():
        raise TemplateError(f"handoff templates directory {directory} does not exist")
    return _merge(read_dir(SHIPPED_DIR), read_dir(directory))


@cache
def shipped_templates() -> Templates:
    return _merge(read_dir(SHIPPED_DIR), {})


def read_dir(directory: Path) -> dict[str, dict[str, Piece]]:
    """Each ``<locale>.yaml`` in ``directory``, checked, by locale."""
    return {path.stem.lower(): read_file(path) for path in sorted(directory.glob("*.yaml"))}


def read_file(path: Path) -> dict[str, Piece]:
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"cannot read the handoff template {path}: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise TemplateError(f"{path}: expected a mapping of piece names to texts")
    return {str(name): _check(path, str(name), value) for name, value in document.items()}


def _check(path: Path, name: str, value: object) -> Piece:
    if name == WEEKDAYS:
        if not (isinstance(value, list) and len(value) == 7 and all(_text(v) for v in value)):
            raise TemplateError(f"{path}: piece {name!r} must list seven day names, Monday first")
        return tuple(str(v) for v in value)
    if name not in PIECES:
        known = ", ".join(sorted([*PIECES, WEEKDAYS]))
        raise TemplateError(f"{path}: unknown piece {name!r} (the pieces are: {known})")
    if not _text(value):
        raise TemplateError(f"{path}: piece {name!r} must be a text")
    _check_placeholders(path, name, str(value))
    return str(value)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_placeholders(path: Path, name: str, text: str) -> None:
    allowed = PIECES[name]
    usable = ", ".join("{" + v + "}" for v in sorted(allowed)) or "none"
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in Formatter().parse(text) if f is not None]
    except ValueError as error:
        raise TemplateError(
            f"{path}: piece {name!r}: {error} (write a literal brace as {{{{ or }}}})"
        ) from None
    for field, spec, conversion in fields:
        if field not in allowed or spec or conversion:
            raise TemplateError(
                f"{path}: piece {name!r} uses {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}}, which it cannot; its placeholders: {usable}"
            )


def _merge(shipped: dict[str, dict[str, Piece]], custom: dict[str, dict[str, Piece]]) -> Templates:
    fallback = [custom.get(DEFAULT_LOCALE, {}), shipped.get(DEFAULT_LOCALE, {})]
    locales = {}
    for locale in sorted({*shipped, *custom, DEFAULT_LOCALE}):
        chain = [custom.get(locale, {}), shipped.get(locale, {}), *fallback]
        locales[locale] = _complete(locale, chain)
    return Templates(locales=locales)


def _complete(locale: str, chain: list[dict[str, Piece]]) -> Pieces:
    found: dict[str, Piece] = {}
    for name in [*PIECES, WEEKDAYS]:
        value = next((layer[name] for layer in chain if name in layer), None)
        if value is None:
            raise TemplateError(f"handoff templates: no {name!r} piece for {locale!r} or 'en'")
        found[name] = value
    weekdays = found.pop(WEEKDAYS)
    assert isinstance(weekdays, tuple)
    return Pieces(locale=locale, texts={k: str(v) for k, v in found.items()}, weekdays=weekdays)
