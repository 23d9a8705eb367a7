"""Compiling a policy file once per version: every condition checked and turned into CEL.

``compile_policy`` either returns a ``Policy`` ready to evaluate, or raises ``PolicyInvalid``
with every problem and its line. Nothing half-loaded ever reaches the message path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import cel

from relaydesk.policy.document import Otherwise, Parsed, PolicyDocument, Problem, Then, parse_policy
from relaydesk.policy.expressions import (
    Reference,
    UnknownFact,
    find_references,
    flat_name,
    flatten,
    readable,
)
from relaydesk.policy.facts import FACTS, POLICY_FACTS, FactType

PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
DEFAULT_POLICY_FILE = Path(__file__).parent / "default.yaml"


class PolicyInvalid(ValueError):
    """A policy file that cannot be loaded; ``problems`` says why, line by line."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class CompiledRule:
    id: str
    owner: str
    description: str
    when: str
    then: Then
    priority: int
    because: str | None
    reads: tuple[str, ...]  # fact paths, in the order the condition names them
    program: cel.Program
    index: int  # position in the file
    line: int | None


@dataclass(frozen=True)
class Policy:
    document: PolicyDocument
    source: str
    hash: str
    rules: tuple[CompiledRule, ...]  # in precedence order: the first that fires decides
    program: cel.Program  # every condition at once, in precedence order
    reads: tuple[tuple[str, tuple[str, ...]], ...]  # (flat name, stored fact path)
    reads_policy: tuple[str, ...]  # the derived policy.* facts read
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def owner(self) -> str:
        return self.document.owner

    @property
    def otherwise(self) -> Otherwise:
        return self.document.otherwise

    @property
    def fail_safe_team(self) -> str:
        return self.document.fail_safe.team

    def threshold_for(self, category: str) -> float:
        return self.document.thresholds.categories.get(category, self.document.thresholds.default)

    def is_high_risk(self, category: str) -> bool:
        return category in self.document.high_risk_categories


def fact_schema(document: PolicyDocument) -> dict[str, FactType]:
    """Every path this policy's conditions may read: the facts, and its own policy.* values."""
    limits = {f"policy.limits.{name}": FactType.NUMBER for name in document.limits}
    return {**FACTS, **POLICY_FACTS, **limits}


def policy_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def template_paths(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def _compile_rule(
    parsed: Parsed, index: int | None, rule_id: str, when: str, schema: dict[str, FactType]
) -> tuple[list[Reference], cel.Program | None, list[Problem]]:
    where: tuple[str | int, ...] = ("rules", index, "when") if index is not None else ("otherwise",)
    line = parsed.line_of(*where)
    try:
        references = find_references(when, schema)
    except UnknownFact as error:
        return [], None, [Problem(f"rule '{rule_id}': {error}", line, rule_id)]
    try:
        program = cel.compile(flatten(when, references))
    except (ValueError, RuntimeError) as error:
        message = readable(str(error)).split("\n")[0]
        return [], None, [Problem(f"rule '{rule_id}': CEL syntax error: {message}", line, rule_id)]
    return references, program, []


def compile_policy(source: str) -> Policy:
    parsed = parse_policy(source)
    errors = [p for p in parsed.problems if p.severity == "error"]
    document = parsed.document
    if document is None or errors:
        raise PolicyInvalid(tuple(errors))
    schema = fact_schema(document)
    compiled: list[CompiledRule] = []
    problems: list[Problem] = []
    for index, spec in enumerate(document.rules):
        references, program, found = _compile_rule(parsed, index, spec.id, spec.when, schema)
        problems += found
        problems += _check_template(parsed, ("rules", index, "because"), spec.id,
                                    spec.because, schema)  # fmt: skip
        if program is None:
            continue
        compiled.append(
            CompiledRule(
                id=spec.id,
                owner=spec.owner,
                description=spec.description,
                when=spec.when,
                then=spec.then,
                priority=spec.priority,
                because=spec.because,
                reads=tuple(dict.fromkeys(r.path for r in references)),
                program=program,
                index=index,
                line=parsed.line_of("rules", index, "when"),
            )
        )
    problems += _check_template(parsed, ("otherwise", "because"), document.otherwise.id,
                                document.otherwise.because, schema)  # fmt: skip
    if problems:
        raise PolicyInvalid(tuple(problems))
    ordered = tuple(sorted(compiled, key=lambda r: (-r.priority, r.index)))
    return _assemble(document, source, ordered, parsed)


def _check_template(
    parsed: Parsed,
    where: tuple[str | int, ...],
    rule_id: str,
    template: str | None,
    schema: dict[str, FactType],
) -> list[Problem]:
    if template is None:
        return []
    problems = []
    for path in template_paths(template):
        if path not in schema:
            try:
                find_references(path, schema)
            except UnknownFact as error:
                problems.append(Problem(f"rule '{rule_id}' because: {error}",
                                        parsed.line_of(*where), rule_id))  # fmt: skip
    return problems


def _assemble(
    document: PolicyDocument, source: str, rules: tuple[CompiledRule, ...], parsed: Parsed
) -> Policy:
    flattened = []
    read_paths: dict[str, None] = {}
    for rule in rules:
        references = find_references(rule.when, fact_schema(document))
        flattened.append("(" + flatten(rule.when, references) + ")")
        read_paths.update(dict.fromkeys(rule.reads))
    # The threshold and category are always read: the decision records the bar that applied.
    read_paths.update(dict.fromkeys(("signals.category.name",)))
    stored = tuple(
        (flat_name(path), tuple(path.split(".")))
        for path in read_paths
        if not path.startswith("policy.")
    )
    derived = tuple(path for path in read_paths if path.startswith("policy."))
    return Policy(
        document=document,
        source=source,
        hash=policy_hash(source),
        rules=rules,
        program=cel.compile("[" + ", ".join(flattened) + "]"),
        reads=stored,
        reads_policy=derived,
        lines=parsed.lines,
    )


def load_policy_file(path: Path) -> Policy:
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyInvalid((Problem(f"cannot read {path}: {error.strerror}"),)) from None
    return compile_policy(source)
