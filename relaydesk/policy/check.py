"""``relaydesk policy check``: every problem in a policy file, found before it is loaded.

Three layers, cheapest first:

1. Parsing and compiling (``parse_policy``, ``compile_policy``) already report invalid YAML,
   schema errors, duplicate keys and rule ids, unknown facts and CEL syntax errors, each with its
   line. They are reused as they are; this module only names the rule a problem sits in and
   words a missing owner plainly.
2. With the company's categories, every category named in ``thresholds.categories`` or
   ``high_risk_categories`` must be one of them (a typo there silently applies the default).
3. The rules are run on a finite set of cases to find rules that can never fire because an
   earlier rule always wins, two rules at the same priority with different routes that both
   match a case, and conditions that are never true, fail, or do not give true/false.

The case analysis ("boundary values"). Every fact a rule reads gets a small domain, its neutral
value first (false, 0, empty, "matches nothing") so that examples come out plain. The constants
a fact gets are those of the conditions that read it (and of facts of its type read together
with it), the thresholds for a condition that reads ``policy.threshold``, the limit for one
that reads ``policy.limits.<name>``:

- bool: false, true.
- int: 0 and c-1, c, c+1 around each constant (floor and ceiling for fractions), never negative.
- number: 0, 1, each constant, the midpoint between each two neighbours, and one above the
  largest, never negative (numbers are scores, confidences and amounts).
- string: a value that matches no literal, then each literal. The category name takes
  "unknown", every category named in the thresholds, ``high_risk_categories`` and the
  categories list, and the literals. Optional strings also take null.
- list of strings: empty, one unmatched value, each literal alone, all literals together.
- customer.attributes: each key a rule names (``customer.attributes.plan``,
  ``customer.attributes["plan"]``, ``"plan" in customer.attributes``) is one more fact: absent,
  a literal, a number or a bool. A rule sees a map holding only the keys it names.

``policy.threshold`` and ``policy.high_risk`` are derived per case from the category name, the
way the evaluator does (``policy_values``); limits are constants. A rule "fires" when its own
compiled program gives exactly true. A failure counts as not firing; since at run time it sends
the conversation to the fail-safe team, a condition that fails in some cases is a warning.

Each condition on its own is run on every combination of its facts' values, up to a tenth of
``MAX_CASES`` of them; above that, on ``SPOT_CHECKS`` sampled cases to look for failures, and
whether it ever fires is searched for. Each question about several rules (is there a case where
B fires and no earlier rule does? where A and B both fire and no rule above them does?) is split
into groups of rules that share no fact, which can be solved separately. Each group is searched
depth first, facts with few values first; a rule is tested as soon as the facts chosen settle
it (CEL's ``&&`` and ``||`` give false or true when one side does, whatever the other is), which
cuts off whole subtrees, and the search stops at the first case that answers the question.

What that is worth. For conditions that compare facts with constants or with the derived policy
values, combined with ``&&``, ``||``, ``!`` and ``in``, the domains hold a value in every region
the constants cut out, so the answers are exact. They are not exact for comparisons of two
facts (``attempt.confidence < attempt.coverage``: both sides get the same boundaries, but not
every ordering between them), boundaries the policy computes (``amount * 2 > 150``), string
functions and regular expressions (``contains``, ``matches``, ``size``) on values not written
as literals, or map keys reached another way: there a rule may be reported dead or never true
when it is not, and a conflict may be missed. Facts are varied independently, so a conflict's
example may be a combination that never happens (no answer, yet high confidence). A group that
takes more than ``MAX_CASES`` search steps is sampled instead: ``MAX_CASES`` seeded random cases,
the same on every run. A negative answer from a sample is a guess: it is reported as a warning
that says how many cases were sampled, and a conflict the sample misses is not reported at all.
"""

from __future__ import annotations

import difflib
import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import yaml

from relaydesk.policy.compile import CompiledRule, Policy, PolicyInvalid, compile_policy
from relaydesk.policy.document import Parsed, PolicyDocument, Problem, parse_policy
from relaydesk.policy.evaluate import policy_values
from relaydesk.policy.expressions import flat_name, number_literals, readable, string_literals
from relaydesk.policy.facts import FACTS, FactType

MAX_CASES: Final = 200_000  # per group of a question: search steps, then random samples
SPOT_CHECKS: Final = 2_000  # cases a condition with more than MAX_CASES runs on, for failures
_SEED: Final = 20261123
_CATEGORY: Final = "signals.category.name"
_ATTRIBUTES: Final = "customer.attributes"
_BY_CATEGORY: Final = frozenset({"policy.threshold", "policy.high_risk"})
_QUOTED = r"""(?:"(?P<d{n}>[^"\\]*)"|'(?P<s{n}>[^'\\]*)')"""
_ATTRIBUTE_KEY = re.compile(
    r"\bcustomer\s*\.\s*attributes\s*(?:"
    r"\.\s*(?P<field>[A-Za-z_]\w*)\b(?!\s*\()"
    r"|\[\s*" + _QUOTED.format(n=1) + r"\s*\])"
    r"|" + _QUOTED.format(n=2) + r"\s+in\s+customer\s*\.\s*attributes\b(?!\s*[.\[])"
)
_OWNER = re.compile(
    r"^(?:(?P<where>.+)\.)?owner: (?:has no owner\b.*"
    r"|String should have at least 1 character|Input should be a valid string)$"
)


def check_policy(
    source: str, categories: Collection[str] | None = None, *, max_cases: int = MAX_CASES
) -> list[Problem]:
    """Every problem in a policy file (errors and warnings), in line order.

    ``categories`` is the company's category names; without it, category names are not
    checked. ``max_cases`` bounds the search for each independent part of each question.
    """
    parsed = parse_policy(source)
    problems = list(parsed.problems)
    document = parsed.document
    if document is not None and not any(p.severity == "error" for p in parsed.problems):
        try:
            policy = compile_policy(source)
        except PolicyInvalid as invalid:
            problems += invalid.problems
        else:
            problems += _Analysis(policy, categories, max_cases).problems()
    if document is not None and categories is not None:
        problems += _unknown_categories(document, parsed, categories)
    return _tidy(problems, parsed, source)


def format_problems(problems: Sequence[Problem], path: str) -> str:
    """``FILE:LINE: error: message``, one a line, then a summary line."""
    lines = [
        f"{path}:{p.line}: {p.severity}: {p.message}"
        if p.line
        else f"{path}: {p.severity}: {p.message}"
        for p in problems
    ]
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        lines.append(f"{path}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    else:
        lines.append(f"{path}: no problems found")
    return "\n".join(lines)


# --- what parsing and compiling report --------------------------------------------------------


def _tidy(problems: list[Problem], parsed: Parsed, source: str) -> list[Problem]:
    spans = _rule_spans(parsed, source)
    tidied = []
    for problem in problems:
        rule = problem.rule
        if rule is None and problem.line is not None:
            # Schema and duplicate-key problems carry a line but no rule: find the rule around it.
            rule = next((rid for rid, first, last in spans if first <= problem.line <= last), None)
        tidied.append(replace(problem, message=_clear_owner(problem.message), rule=rule))
    return sorted(tidied, key=lambda p: p.line or 0)


def _rule_spans(parsed: Parsed, source: str) -> list[tuple[str, int, int]]:
    """(rule id, first line, last line) for each rule (and ``otherwise``) with an id."""
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError:
        return []
    if not isinstance(raw, dict):
        return []
    found: dict[tuple[str | int, ...], list[int]] = {}
    for path, line in parsed.lines.items():
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            key: tuple[str | int, ...] = path[:2]
        elif path[:1] == ("otherwise",):
            key = ("otherwise",)
        else:
            continue
        span = found.setdefault(key, [line, line])
        span[0], span[1] = min(span[0], line), max(span[1], line)
    spans = []
    for key, (first, last) in found.items():
        if key == ("otherwise",):
            entry = raw.get("otherwise")
            default: object = "otherwise"
        else:
            rules = raw.get("rules")
            index = key[1]
            entry = None
            if isinstance(rules, list) and isinstance(index, int) and index < len(rules):
                entry = rules[index]
            default = None
        rule_id = entry.get("id", default) if isinstance(entry, dict) else default
        if isinstance(rule_id, str):
            spans.append((rule_id, first, last))
    return spans


def _clear_owner(message: str) -> str:
    match = _OWNER.match(message)
    if match is None:
        return message
    where = match.group("where")
    if where is None:
        subject = "the policy"
    elif rule := re.fullmatch(r"rules\[\d+\] \((.+)\)", where):
        subject = f"rule '{rule.group(1)}'"
    elif where == "otherwise":
        subject = "the otherwise rule"
    else:
        subject = where
    return f"{subject} has no owner: name who is answerable for it with 'owner:'"


def _unknown_categories(
    document: PolicyDocument, parsed: Parsed, categories: Collection[str]
) -> list[Problem]:
    known = list(dict.fromkeys(categories))
    problems = []
    for name in document.thresholds.categories:
        if name not in known:
            problems.append(
                Problem(
                    f"thresholds.categories: {_not_a_category(name, known)}; its threshold "
                    "would never apply",
                    parsed.line_of("thresholds", "categories", name),
                )
            )
    for index, name in enumerate(document.high_risk_categories):
        if name not in known:
            problems.append(
                Problem(
                    f"high_risk_categories: {_not_a_category(name, known)}; it would never "
                    "be treated as high-risk",
                    parsed.line_of("high_risk_categories", index),
                )
            )
    return problems


def _not_a_category(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean '{close[0]}'?"
    else:
        hint = "the categories are " + (", ".join(f"'{k}'" for k in known) or "none")
    return f"'{name}' is not one of the categories ({hint})"


# --- the case analysis ------------------------------------------------------------------------


class _Missing:
    """A map key the customer does not have."""

    def __repr__(self) -> str:
        return "(not set)"


_ABSENT: Final = _Missing()


@dataclass(frozen=True)
class _Outcome:
    kind: Literal["true", "false", "error", "value"]
    detail: str = ""  # the error, or what the condition gave instead of true/false


@dataclass(eq=False)
class _Rule:
    """A compiled rule as the analysis sees it: the case dimensions its result depends on."""

    compiled: CompiledRule
    dims: tuple[str, ...]
    keys: tuple[str, ...]  # the customer.attributes keys it names
    # (flat variable, fact path, position of its dimension or -1) for each path it reads.
    slots: tuple[tuple[str, str, int], ...]
    domains: tuple[tuple[Any, ...], ...] = ()  # the values of each of ``dims``
    # Outcome per choice of its own dimensions: each rule runs once per distinct input.
    outcomes: dict[tuple[int, ...], _Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    case: dict[str, int] | None  # dimension → index of its value, when a case was found
    sampled: int = 0  # when none was found by sampling: how many cases were tried
    proven: bool = True  # when none was found: whether every case was searched
    blockers: tuple[_Rule, ...] = ()  # when none was found: earlier rules that got in the way


class _OverBudget(Exception):
    pass


_UNSET: Final = -1  # in a rule's key: that fact is not chosen yet


_Want = tuple[_Rule, bool]  # the rule, and whether it must fire


class _Analysis:
    def __init__(self, policy: Policy, categories: Collection[str] | None, max_cases: int) -> None:
        self.policy = policy
        self.max_cases = max_cases
        # For work that only words a message or looks for failures: a tenth of the budget.
        self.small = max(1, max_cases // 10)
        document = policy.document
        self.category_names = (
            *document.thresholds.categories,
            *document.high_risk_categories,
            *(categories or ()),
        )
        self.rules = [_view(rule) for rule in policy.rules]
        numbers, strings = self._constants()
        conditions = [rule.when for rule in policy.rules]
        every_string = tuple(dict.fromkeys(s for c in conditions for s in string_literals(c)))
        self.fresh = _fresh(every_string)
        # Attribute values have no declared type: they may be compared with any constant.
        settings = [document.thresholds.default, *document.thresholds.categories.values()]
        every_number = [
            *(n for c in conditions for n in number_literals(c)),
            *settings,
            *document.limits.values(),
        ]
        self.dimensions: dict[str, tuple[Any, ...]] = {}
        for rule in self.rules:
            for dim in rule.dims:
                if dim.startswith(f"{_ATTRIBUTES}."):  # one key: any literal, number or bool
                    values = (*every_string, *_number_domain(every_number), False, True)
                    self.dimensions[dim] = (_ABSENT, self.fresh, *values)
                elif dim == _ATTRIBUTES:  # a map read without naming keys
                    self.dimensions[dim] = (
                        {},
                        {self.fresh: self.fresh},
                        *({s: s} for s in every_string),
                    )
                else:
                    self.dimensions[dim] = self._domain(dim, numbers[dim], strings[dim])
        for rule in self.rules:
            rule.domains = tuple(self.dimensions[d] for d in rule.dims)
        self.derived: dict[str, dict[str, Any]] = {}

    # Domains.

    def _constants(self) -> tuple[dict[str, list[float]], dict[str, tuple[str, ...]]]:
        """The constants each fact may be compared with.

        A fact gets the constants of every condition that reads it, and those of facts of its
        kind (int, number or string) that some condition reads together with it, so that both
        sides of ``attempt.confidence < attempt.coverage`` see the same boundaries. Keeping the
        rest out keeps the domains, and so the searches, small.
        """
        document = self.policy.document
        numbers: dict[str, list[float]] = {}
        strings: dict[str, list[str]] = {}
        parent: dict[str, str] = {}

        def root(dim: str) -> str:
            while parent[dim] != dim:
                dim = parent[dim]
            return dim

        for rule in self.rules:
            found_numbers = number_literals(rule.compiled.when)
            for path in rule.compiled.reads:
                if path == "policy.threshold":
                    found_numbers.append(document.thresholds.default)
                    found_numbers += document.thresholds.categories.values()
                elif path.startswith("policy.limits."):
                    found_numbers.append(document.limits[path.removeprefix("policy.limits.")])
            found_strings = string_literals(rule.compiled.when)
            for kind in ("int", "number", "string"):
                members = [d for d in rule.dims if _kind(d) == kind]
                for dim in members:
                    parent.setdefault(dim, dim)
                    numbers.setdefault(dim, []).extend(found_numbers)
                    strings.setdefault(dim, []).extend(found_strings)
                for a, b in itertools.pairwise(members):
                    parent[root(a)] = root(b)
        shared_numbers: dict[str, list[float]] = {}
        shared_strings: dict[str, list[str]] = {}
        for dim in parent:
            shared_numbers.setdefault(root(dim), []).extend(numbers[dim])
            shared_strings.setdefault(root(dim), []).extend(strings[dim])
        dims = {d for rule in self.rules for d in rule.dims}
        return (
            {d: shared_numbers[root(d)] if d in parent else [] for d in dims},
            {d: tuple(dict.fromkeys(shared_strings[root(d)])) if d in parent else () for d in dims},
        )

    def _domain(self, path: str, numbers: list[float], strings: tuple[str, ...]) -> tuple[Any, ...]:
        fresh = self.fresh
        if path == _CATEGORY:
            names = ["unknown", *self.category_names, *strings]
            if "unknown" in strings:
                names.append(fresh)
            return tuple(dict.fromkeys(names))
        kind = FACTS[path]
        if kind == FactType.BOOL:
            return (False, True)
        if kind == FactType.INT:
            return _int_domain(numbers)
        if kind == FactType.NUMBER:
            return _number_domain(numbers)
        if kind == FactType.STRING:
            return (fresh, *strings)
        if kind == FactType.OPTIONAL_STRING:
            return (None, fresh, *strings)
        together = [list(strings)] if len(strings) > 1 else []
        return ([], [fresh], *([s] for s in strings), *together)  # a list of strings

    # Running one rule on one case.

    def _derived(self, category: str) -> dict[str, Any]:
        if category not in self.derived:
            facts = {"signals": {"category": {"name": category}}}
            self.derived[category] = policy_values(facts, self.policy)
        return self.derived[category]

    def _variables(self, rule: _Rule, key: tuple[int, ...]) -> dict[str, Any]:
        """The rule's variables; a dimension at index ``_UNSET`` leaves its variable out."""
        variables: dict[str, Any] = {}
        for name, path, place in rule.slots:
            if place >= 0:
                if key[place] != _UNSET:
                    value = rule.domains[place][key[place]]
                    derived = path in _BY_CATEGORY
                    variables[name] = self._derived(value)[path] if derived else value
            elif path == _ATTRIBUTES:  # one dimension per key: the map once all are chosen
                places = [rule.dims.index(f"{_ATTRIBUTES}.{k}") for k in rule.keys]
                if all(key[p] != _UNSET for p in places):
                    pairs = zip(rule.keys, (rule.domains[p][key[p]] for p in places), strict=True)
                    variables[name] = {k: v for k, v in pairs if v is not _ABSENT}
            else:
                variables[name] = self._derived("unknown")[path]  # a limit: the same for all
        return variables

    def _outcome(self, rule: _Rule, key: tuple[int, ...]) -> _Outcome:
        outcome = rule.outcomes.get(key)
        if outcome is None:
            outcome = rule.outcomes[key] = self._run(rule, key)
        return outcome

    def _run(self, rule: _Rule, key: tuple[int, ...]) -> _Outcome:
        try:
            result = rule.compiled.program.execute(self._variables(rule, key))
        except Exception as error:  # any failure at run time: the evaluator's fail safe
            return _Outcome("error", readable(f"{type(error).__name__}: {error}"))
        if result is True:
            return _Outcome("true")
        if result is False:
            return _Outcome("false")
        return _Outcome("value", f"{_show(result)} (a {_cel_type(result)})")

    def _fires(self, rule: _Rule, key: tuple[int, ...]) -> bool:
        return self._outcome(rule, key).kind == "true"

    # The questions.

    def problems(self) -> list[Problem]:
        problems: list[Problem] = []
        live: list[_Rule] = []  # rules that fire in some case
        for rule in self.rules:
            found, fires = self._alone(rule)
            problems += found
            if fires:
                live.append(rule)
        dead: set[int] = set()
        for position, rule in enumerate(self.rules):
            if rule in live:
                problem = self._shadowed(rule, self.rules[:position])
                if problem is not None:
                    problems.append(problem)
                    dead.add(id(rule))
        for position, first in enumerate(self.rules):
            for second in self.rules[position + 1 :]:
                if second.compiled.priority != first.compiled.priority:
                    break  # precedence order: equal priorities are next to each other
                if any(r not in live or id(r) in dead for r in (first, second)):
                    continue
                if first.compiled.then.route != second.compiled.then.route:
                    problem = self._conflict(first, second, self.rules[:position])
                    if problem is not None:
                        problems.append(problem)
        return problems

    def _alone(self, rule: _Rule) -> tuple[list[Problem], bool]:
        """Problems with one condition on its own, and whether it fires in some case."""
        sizes = [len(self.dimensions[d]) for d in rule.dims]
        exhaustive = math.prod(sizes) <= self.small
        if exhaustive:
            keys: Iterable[tuple[int, ...]] = itertools.product(*map(range, sizes))
        else:  # failures show up in a sample; whether it fires is searched for below
            keys = self._sample(sizes, SPOT_CHECKS)
        tried = fired = failed = 0
        failure: tuple[tuple[int, ...], _Outcome] | None = None
        for key in keys:
            tried += 1
            outcome = self._outcome(rule, key)
            if outcome.kind == "value":
                message = f"its condition gives {outcome.detail}, not true or false"
                return [self._problem(rule, message + self._when(rule, key))], False
            if outcome.kind == "true":
                fired += 1
            elif outcome.kind == "error":
                failed += 1
                failure = failure or (key, outcome)
        cases = _plural(tried, "case" if exhaustive else "sampled case")
        if failure is not None and failed == tried:
            key, outcome = failure
            example = self._example([rule], dict(zip(rule.dims, key, strict=True)))
            message = (
                f"its condition fails in every one of {cases} tried, e.g. when {example}"
                if example
                else "its condition always fails"
            )
            message += f": {outcome.detail}"
            return [self._problem(rule, message)], False
        problems = []
        if failure is not None:
            key, outcome = failure
            problems.append(
                self._problem(
                    rule,
                    f"its condition fails in {failed} of {cases} tried"
                    f"{self._when(rule, key)}: {outcome.detail}; a failing condition hands "
                    "the conversation to the fail-safe team",
                    "warning",
                )
            )
        if not fired and not exhaustive:
            found = self._search([(rule, True)])
            fired = found.case is not None
            cases = _plural(found.sampled, "sampled case") if found.sampled else "any case"
        if not fired:
            problems.append(
                self._problem(
                    rule, f"its condition is never true in {cases} tried: it never fires", "warning"
                )
            )
        return problems, fired > 0

    def _shadowed(self, rule: _Rule, earlier: list[_Rule]) -> Problem | None:
        """A problem if ``rule`` never fires without an earlier rule firing first."""
        found = self._search([(rule, True), *((r, False) for r in earlier)])
        if found.case is not None:
            return None
        if found.sampled:
            winners = ", ".join(self._rank(w, rule) for w in found.blockers) or "an earlier rule"
            return self._problem(
                rule,
                f"may never fire: in {_plural(found.sampled, 'sampled case')} (too many to try "
                f"them all) whenever its condition was true, {winners} fired first",
                "warning",
            )
        winners_found = self._winners(rule, [r for r in earlier if r in found.blockers])
        names = ", ".join(self._rank(w, rule) for w in winners_found)
        which = names if len(winners_found) == 1 else f"one of {names}"
        return self._problem(
            rule,
            f"can never fire: whenever its condition is true, {which} fires first; "
            "give it a higher priority, move it above, or remove it",
        )

    def _winners(self, rule: _Rule, cover: list[_Rule]) -> list[_Rule]:
        """The fewest found of the rules in ``cover`` that still always win over ``rule``."""

        def covers(rules: list[_Rule]) -> bool:
            # Only a complete search proves a cover; a sample would only guess it.
            wanted = [(rule, True), *((r, False) for r in rules)]
            found = self._search(wanted, budget=self.small)
            return found.case is None and found.proven

        alone = [r for r in cover if covers([r])]
        if alone:
            return alone
        needed = list(cover)
        for candidate in reversed(cover):
            rest = [r for r in needed if r is not candidate]
            if covers(rest):
                needed = rest
        return needed

    def _conflict(self, first: _Rule, second: _Rule, earlier: list[_Rule]) -> Problem | None:
        found = self._search([(first, True), (second, True), *((r, False) for r in earlier)])
        if found.case is None:
            return None
        a, b = first.compiled, second.compiled
        example = self._example([first, second], found.case)
        return self._problem(
            second,
            f"conflicts with '{a.id}': both have priority {a.priority} but different routes "
            f"('{a.id}': {a.then.route.value}, '{b.id}': {b.then.route.value}), and both match "
            f"when {example}; only their order in the file decides ('{a.id}' wins): give one "
            "a higher priority or make the conditions exclusive",
        )

    # Searching for a case.

    def _search(self, wanted: Sequence[_Want], *, budget: int | None = None) -> _Found:
        """A case where each rule fires or not as wanted; groups sharing no fact separately."""
        case: dict[str, int] = {}
        for group in _groups(wanted):
            found = self._search_group(group, budget)
            if found.case is None:
                return found
            case.update(found.case)
        return _Found(case)

    def _search_group(self, wanted: list[_Want], budget: int | None) -> _Found:
        """Depth first; above ``budget`` steps, "not proven" (or, without one, a sample)."""
        # Few-valued facts first: they settle conditions early (see ``descend``).
        dims: list[str] = []
        for rule, _ in wanted:
            fresh = [d for d in rule.dims if d not in dims]
            dims += sorted(fresh, key=lambda d: len(self.dimensions[d]))
        if not dims:
            wrong = [rule for rule, want in wanted if self._fires(rule, ()) != want]
            if not wrong:
                return _Found({})
            return _Found(None, blockers=tuple(r for r, want in wanted if r in wrong and not want))
        position = {d: i for i, d in enumerate(dims)}
        # At each depth, the rules that read the fact chosen there (and whether it is their last).
        checks: list[list[tuple[_Rule, tuple[int, ...], bool, bool]]] = [[] for _ in dims]
        for rule, want in wanted:
            places = tuple(position[d] for d in rule.dims)
            for place in places:
                checks[place].append((rule, places, want, place == max(places)))
        sizes = [len(self.dimensions[d]) for d in dims]
        chosen = [0] * len(dims)
        steps = 0
        blockers: dict[int, _Rule] = {}  # rules that fired where they must not: a cover

        def holds(depth: int) -> bool:
            for rule, places, want, last in checks[depth]:
                if last:
                    fires = self._fires(rule, tuple(chosen[p] for p in places))
                else:
                    # Not all its facts are chosen: CEL's && and || give a definite answer when
                    # the chosen ones settle it (false && anything), so prune whole subtrees.
                    key = tuple(chosen[p] if p <= depth else _UNSET for p in places)
                    kind = self._outcome(rule, key).kind
                    if kind not in ("true", "false"):
                        continue
                    fires = kind == "true"
                if fires != want:
                    if not want:
                        blockers.setdefault(id(rule), rule)
                    return False
            return True

        def descend(depth: int) -> bool:
            nonlocal steps
            if depth == len(dims):
                return True
            for index in range(sizes[depth]):
                steps += 1
                if steps > (self.max_cases if budget is None else budget):
                    raise _OverBudget
                chosen[depth] = index
                if holds(depth) and descend(depth + 1):
                    return True
            return False

        try:
            if descend(0):
                return _Found(dict(zip(dims, chosen, strict=True)))
            return _Found(None, blockers=tuple(blockers.values()))
        except _OverBudget:
            if budget is not None:
                return _Found(None, proven=False)
            unique = {id(c[0]): c[:3] for level in checks for c in level}
            return self._sample_group(dims, sizes, list(unique.values()))

    def _sample_group(
        self, dims: list[str], sizes: list[int], checks: list[tuple[_Rule, tuple[int, ...], bool]]
    ) -> _Found:
        checks = sorted(checks, key=lambda check: not check[2])  # the rules that must fire first
        blockers: Counter[int] = Counter()
        by_id: dict[int, _Rule] = {}
        tried = 0
        for key in self._sample(sizes, self.max_cases):
            tried += 1
            for rule, places, want in checks:
                if self._fires(rule, tuple(key[p] for p in places)) != want:
                    if not want:  # the wanted rules fired, and this one got there first
                        blockers[id(rule)] += 1
                        by_id[id(rule)] = rule
                    break
            else:
                return _Found(dict(zip(dims, key, strict=True)))
        blocking = tuple(by_id[i] for i, _ in blockers.most_common())
        return _Found(None, tried, proven=False, blockers=blocking)

    def _sample(self, sizes: list[int], count: int) -> Iterator[tuple[int, ...]]:
        """The all-neutral case, then seeded random ones: the same cases on every run."""
        rng = random.Random(_SEED)
        yield tuple(0 for _ in sizes)
        # Drawn a column at a time: far faster than a randrange per value.
        yield from zip(*(rng.choices(range(size), k=count - 1) for size in sizes), strict=True)

    # Words.

    def _problem(
        self, rule: _Rule, message: str, severity: Literal["error", "warning"] = "error"
    ) -> Problem:
        compiled = rule.compiled
        # "rule 'x' can never fire" reads as a sentence; "rule 'x': its condition ..." too.
        joint = " " if message.startswith(("can ", "may ", "conflicts ")) else ": "
        return Problem(
            f"rule '{compiled.id}'{joint}{message}", compiled.line, compiled.id, severity
        )

    def _rank(self, winner: _Rule, loser: _Rule) -> str:
        if winner.compiled.priority > loser.compiled.priority:
            return f"'{winner.compiled.id}' (priority {winner.compiled.priority})"
        return f"'{winner.compiled.id}' (earlier in the file)"

    def _when(self, rule: _Rule, key: tuple[int, ...]) -> str:
        example = self._example([rule], dict(zip(rule.dims, key, strict=True)))
        return f", e.g. when {example}" if example else ""

    def _example(self, rules: Sequence[_Rule], case: dict[str, int]) -> str:
        """The values of the facts these rules read, in the case found."""
        parts: list[str] = []

        def value(dim: str) -> Any:
            return self.dimensions[dim][case[dim]]

        for rule in rules:
            for path in rule.compiled.reads:
                if path == _ATTRIBUTES:
                    names = [f"{_ATTRIBUTES}.{k}" for k in rule.keys] or [_ATTRIBUTES]
                    parts += [f"{name} = {_show(value(name))}" for name in names]
                elif path.startswith("policy."):
                    category = value(_CATEGORY) if _CATEGORY in case else "unknown"
                    if path in _BY_CATEGORY:
                        parts.append(f"{_CATEGORY} = {_show(category)}")
                    parts.append(f"{path} = {_show(self._derived(category)[path])}")
                else:
                    parts.append(f"{path} = {_show(value(path))}")
        return ", ".join(dict.fromkeys(parts))


def _view(rule: CompiledRule) -> _Rule:
    """The dimensions a rule's result depends on: the facts it reads, one per attribute key."""
    keys: tuple[str, ...] = ()
    dims: list[str] = []
    for path in rule.reads:
        if path == _ATTRIBUTES:
            keys = _attribute_keys(rule.when)
            dims += [f"{_ATTRIBUTES}.{key}" for key in keys] or [_ATTRIBUTES]
        elif path in _BY_CATEGORY:
            dims.append(_CATEGORY)
        elif path in FACTS:
            dims.append(path)
        # policy.limits.* are constants: no dimension.
    ordered = tuple(dict.fromkeys(dims))
    slots = []
    for path in rule.reads:
        dim = _CATEGORY if path in _BY_CATEGORY else path
        place = ordered.index(dim) if dim in ordered and not (path == _ATTRIBUTES and keys) else -1
        slots.append((flat_name(path), path, place))
    return _Rule(rule, ordered, keys, tuple(slots))


def _kind(dim: str) -> str | None:
    """Which constants a fact is compared with: numbers, strings, or none that matter."""
    kind = FACTS.get(dim)
    if kind in (FactType.INT, FactType.NUMBER):
        return kind.value  # counts and scores/amounts are rarely compared with each other
    if kind in (FactType.STRING, FactType.OPTIONAL_STRING, FactType.STRING_LIST):
        return "string"
    return None


def _groups(wanted: Sequence[_Want]) -> list[list[_Want]]:
    """The wanted outcomes split into groups that share no dimension, first wanted first."""
    parent: dict[str, str] = {}

    def root(dim: str) -> str:
        while parent[dim] != dim:
            parent[dim] = parent[parent[dim]]
            dim = parent[dim]
        return dim

    for rule, _ in wanted:
        for dim in rule.dims:
            parent.setdefault(dim, dim)
        for a, b in itertools.pairwise(rule.dims):
            parent[root(a)] = root(b)
    groups: dict[str, list[_Want]] = {}
    for item in wanted:
        dims = item[0].dims
        groups.setdefault(root(dims[0]) if dims else "", []).append(item)
    return list(groups.values())


def _attribute_keys(condition: str) -> tuple[str, ...]:
    keys = []
    for match in _ATTRIBUTE_KEY.finditer(condition):
        keys.append(next(k for k in match.groups() if k is not None))
    return tuple(dict.fromkeys(keys))


def _int_domain(constants: list[float]) -> tuple[int, ...]:
    values = {0}
    for constant in constants:
        low, high = math.floor(constant), math.ceil(constant)
        values.update(v for v in (low - 1, low, high, high + 1) if v >= 0)
    return tuple(sorted(values))


def _number_domain(constants: list[float]) -> tuple[float, ...]:
    # Facts that are numbers are scores, confidences and amounts: never negative.
    points = sorted({0.0, 1.0, *(float(c) for c in constants if c >= 0)})
    between = [(low + high) / 2 for low, high in itertools.pairwise(points)]
    return tuple(sorted({*points, *between, points[-1] + 1}))


def _fresh(taken: Collection[str]) -> str:
    """A string equal to none of the policy's literals."""
    name, n = "other", 1
    while name in taken:
        n += 1
        name = f"other-{n}"
    return name


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_show(k)}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _cel_type(value: Any) -> str:
    names = {str: "string", int: "int", float: "number", list: "list", dict: "map", bytes: "bytes"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
