"""CEL conditions over the facts: which facts a condition reads, and compiling it to run fast.

Conditions are written over nested names (``signals.human_request.value``). Handing the CEL
runtime a nested map costs ~1.5 µs per map entry, which would cap evaluation near 12,000
decisions a second; a flat variable costs ~0.3 µs. So each fact path a condition reads becomes
one flat variable (``signals.human_request.value`` → ``_f__signals__human_request__value``)
before compiling, and the evaluator passes only the facts the policy reads. The scan that finds
the paths is also what reports an unknown fact, with a suggestion.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from relaydesk.policy.facts import FactType

FLAT_PREFIX = "_f__"
_STRING = re.compile(
    r"""(?:[rRbB]{1,2})?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''"""
    r"""|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')""",
    re.DOTALL,
)
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)(\s*\()?")
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_KEYWORDS = frozenset({"true", "false", "null", "in"})


class UnknownFact(ValueError):
    """A condition names a fact that does not exist."""


@dataclass(frozen=True)
class Reference:
    path: str  # the fact path, e.g. "signals.human_request.value"
    start: int
    end: int  # the span of the path in the source, to rewrite it


def flat_name(path: str) -> str:
    return FLAT_PREFIX + path.replace(".", "__")


def readable(message: str) -> str:
    """A CEL error message with flat variable names turned back into fact paths."""
    return re.sub(
        re.escape(FLAT_PREFIX) + r"(\w+)", lambda m: m.group(1).replace("__", "."), message
    )


def _mask_strings(source: str) -> tuple[str, list[str]]:
    literals: list[str] = []

    def blank(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return " " * len(match.group(0))

    return _STRING.sub(blank, source), literals


def string_literals(source: str) -> list[str]:
    """The string constants in a condition (without quotes), for ``policy check``'s cases."""
    _, literals = _mask_strings(source)
    values = []
    for literal in literals:
        body = literal.lstrip("rRbB")
        quote = 3 if body[:3] in ('"""', "'''") else 1
        values.append(body[quote:-quote])
    return values


def number_literals(source: str) -> list[float]:
    masked, _ = _mask_strings(source)
    masked = _CHAIN.sub(lambda m: " " * len(m.group(0)), masked)
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", masked)]


def find_references(source: str, facts: Mapping[str, FactType]) -> list[Reference]:
    """Every fact path the condition reads. Raises ``UnknownFact`` for a name that isn't one."""
    masked, _ = _mask_strings(source)
    bound = set(_BOUND.findall(masked))
    roots = {path.split(".", 1)[0] for path in facts}
    references = []
    for match in _CHAIN.finditer(masked):
        segments = [s.strip() for s in match.group(1).split(".")]
        is_call = match.group(2) is not None
        if is_call:
            segments = segments[:-1]  # the last name is a function or a method
        if not segments or segments[0] in _KEYWORDS or segments[0] in bound:
            continue
        if segments[0] not in roots:
            raise UnknownFact(_unknown(".".join(segments), facts))
        path = _resolve(segments, facts)
        start = match.start(1)
        references.append(Reference(path, start, _span_end(masked, start, path)))
    return references


def _resolve(segments: list[str], facts: Mapping[str, FactType]) -> str:
    for k in range(len(segments), 0, -1):
        path = ".".join(segments[:k])
        if path in facts:
            if k < len(segments) and facts[path] != FactType.MAP:
                raise UnknownFact(
                    f"'{'.'.join(segments)}': {path} is a {facts[path]} and has no field "
                    f"'{segments[k]}'"
                )
            return path
    joined = ".".join(segments)
    fields = sorted(p for p in facts if p.startswith(joined + "."))
    if fields:
        raise UnknownFact(f"'{joined}' is a group of facts; read one of: {', '.join(fields)}")
    raise UnknownFact(_unknown(joined, facts))


def _unknown(path: str, facts: Iterable[str]) -> str:
    close = difflib.get_close_matches(path, list(facts), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else " (docs/policy.md lists the facts)"
    return f"unknown fact '{path}'{hint}"


def _span_end(masked: str, start: int, path: str) -> int:
    """Where ``path`` ends in the source, allowing spaces around the dots."""
    position = start
    for index, segment in enumerate(path.split(".")):
        if index:
            position = masked.index(".", position) + 1
            while masked[position].isspace():
                position += 1
        position = masked.index(segment, position) + len(segment)
    return position


def flatten(source: str, references: list[Reference]) -> str:
    """The condition with each fact path replaced by its flat variable name."""
    out, position = [], 0
    for reference in references:
        out.append(source[position : reference.start])
        out.append(flat_name(reference.path))
        position = reference.end
    out.append(source[position:])
    return "".join(out)
