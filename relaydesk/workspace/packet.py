"""The context packet panel: what the person taking over needs, read defensively.

The packet is stored as a plain dict in the handoff event's payload (see
``relaydesk.handoff.packet``); its shape may grow, and handoffs recorded before it existed
have none. So every section is read with a fallback: the decision event's ``decision``, the
facts of its decision record, the handoff's ``ask`` and ``checked`` articles, and the customer
row. Keys the panel does not know are listed at the end rather than dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KNOWN = {
    "summary",
    "locale",
    "customer",
    "messages",
    "signals",
    "decision",
    "ai_attempt",
    "wait",
    "suggested_next_steps",
}
FIRED_SCORE = 0.5


@dataclass(frozen=True)
class SignalView:
    name: str
    value: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleView:
    id: str
    owner: str
    why: str
    description: str = ""


@dataclass(frozen=True)
class ArticleView:
    title: str
    heading: str = ""
    url: str | None = None
    note: str = ""  # "cited", "relevant", ...


@dataclass(frozen=True)
class Panel:
    has_packet: bool
    summary: str | None = None
    customer: tuple[tuple[str, str], ...] = ()
    badges: tuple[str, ...] = ()  # VIP, recontacts: what should catch the eye
    signals: tuple[SignalView, ...] = ()
    route: str | None = None
    priority: str | None = None
    policy: str | None = None
    rules: tuple[RuleView, ...] = ()
    attempt: tuple[tuple[str, str], ...] = ()
    ai_answer: str | None = None
    articles: tuple[ArticleView, ...] = ()
    wait: str | None = None
    steps: tuple[str, ...] = ()
    more: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Sources:
    """What the panel is built from; any of it may be missing."""

    packet: Mapping[str, Any] | None
    decision: Mapping[str, Any] | None  # the decision event's payload["decision"]
    facts: Mapping[str, Any]  # the decision record's facts
    handoff: Mapping[str, Any]  # the handoff event's payload
    customer: Mapping[str, Any]  # the customer row: name, email, tier, attributes


def build(sources: Sources) -> Panel:
    packet = dict(sources.packet or {})
    decision = _dict(packet.get("decision")) or dict(sources.decision or {})
    attempt = _dict(packet.get("ai_attempt")) or _dict(sources.facts.get("attempt"))
    context = _dict(packet.get("customer")) or _dict(sources.facts.get("customer"))
    if packet.get("locale"):
        context["locale"] = packet["locale"]
    customer = _customer(sources.customer, context)
    return Panel(
        has_packet=bool(packet),
        summary=_text(packet.get("summary")) or _ask_summary(sources.handoff),
        customer=tuple(customer),
        badges=tuple(_badges(dict(customer))),
        signals=tuple(
            _signals(packet["signals"])
            if "signals" in packet
            else _fired(sources.facts.get("signals"))
        ),
        route=_text(decision.get("route")),
        priority=_text(decision.get("priority") or sources.handoff.get("priority")),
        policy=_policy(decision),
        rules=tuple(_rules(decision.get("rules") or decision.get("matched_rules"))),
        attempt=tuple(_attempt_facts(attempt)),
        ai_answer=_text(attempt.get("answer")),
        articles=tuple(_articles(attempt.get("articles"), sources.handoff.get("checked"))),
        wait=_wait(packet.get("wait")),
        steps=tuple(_steps(packet.get("suggested_next_steps"))),
        more=tuple((_label(k), _show(v)) for k, v in packet.items() if k not in KNOWN),
    )


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return _text(value.get("text") or value.get("summary"))
    return str(value)


LABELS = {"vip": "VIP", "locale": "Reply in", "has_answer": "Had an answer"}


def _label(key: Any) -> str:
    return LABELS.get(str(key), str(key).replace("_", " ").capitalize())


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        return ", ".join(f"{_label(k).lower()}: {_show(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "—"
    return "—" if value is None or value == "" else str(value)


def _ask_summary(handoff: Mapping[str, Any]) -> str | None:
    ask = _text(handoff.get("ask"))
    return f'The customer asked: "{ask}"' if ask else None


def _customer(row: Mapping[str, Any], context: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for key in ("name", "email", "tier"):
        value = row.get(key) or context.get(key)
        if value:
            shown.append((_label(key), str(value)))
    for key in ("vip", "recent_recontacts", "open_conversations", "locale"):
        if key in context:
            shown.append((_label(key), _show(context[key])))
    attributes = {**_dict(row.get("attributes")), **_dict(context.get("attributes"))}
    already = {"name", "email", "tier", "vip", "recent_recontacts", "open_conversations", "locale"}
    shown += [(_label(k), _show(v)) for k, v in attributes.items() if k not in already]
    return shown


def _badges(customer: Mapping[str, str]) -> Iterable[str]:
    if customer.get("VIP") == "yes" or str(customer.get("Tier", "")).lower() == "vip":
        yield "VIP"
    recontacts = customer.get("Recent recontacts", "0")
    if recontacts.isdigit() and int(recontacts) > 0:
        yield f"{recontacts} recontact{'s' if int(recontacts) > 1 else ''} this week"


def _evidence(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v not in (None, ""))
    return ()


def _signal_value(raw: Any, score: Any) -> str:
    shown = _show(raw)
    if isinstance(score, int | float) and not isinstance(score, bool):
        return f"{shown} ({score:.2f})"
    return shown


def _signals(value: Any) -> Iterable[SignalView]:
    """Signals as the packet lists them: a list of {name, value, score, evidence}, or a map."""
    if isinstance(value, Mapping):
        value = [
            {"name": k, **(v if isinstance(v, Mapping) else {"value": v})} for k, v in value.items()
        ]
    if not isinstance(value, list | tuple):
        return
    for signal in value:
        if isinstance(signal, Mapping):
            name = _label(signal.get("name") or signal.get("signal") or "signal")
            value = _signal_value(signal.get("value"), signal.get("score"))
            yield SignalView(name, value, _evidence(signal.get("evidence")))
        elif signal:
            yield SignalView(str(signal), "")


def _fired(value: Any) -> Iterable[SignalView]:
    """From a decision record's facts: the category, and the signals that fired."""
    for name, signal in _dict(value).items():
        if not isinstance(signal, Mapping):
            continue
        evidence = _evidence(signal.get("evidence"))
        if name == "category":
            shown = _signal_value(signal.get("name"), signal.get("confidence"))
            yield SignalView("Category", shown, evidence)
            continue
        raw = signal.get("value", signal.get("count"))
        score = signal.get("score")
        strong = isinstance(score, int | float) and score >= FIRED_SCORE
        if raw or evidence or strong:
            yield SignalView(_label(name), _signal_value(raw, score), evidence)


def _rules(value: Any) -> Iterable[RuleView]:
    if not isinstance(value, list | tuple):
        return
    for rule in value:
        if isinstance(rule, Mapping):
            yield RuleView(
                id=str(rule.get("id") or "?"),
                owner=str(rule.get("owner") or "?"),
                why=str(rule.get("why") or rule.get("reason") or ""),
                description=str(rule.get("description") or ""),
            )


def _policy(decision: Mapping[str, Any]) -> str | None:
    name, version = decision.get("policy_name"), decision.get("policy_version")
    if not (name or version):
        return None
    arm = decision.get("arm")
    return " ".join(str(p) for p in (name, version) if p) + (f" (pilot arm {arm})" if arm else "")


def _attempt_facts(attempt: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for key in ("has_answer", "confidence", "coverage"):
        if key in attempt:
            yield _label(key), _show(attempt[key])


def _articles(value: Any, checked: Any) -> Iterable[ArticleView]:
    if isinstance(value, list | tuple) and value:
        for article in value:
            if isinstance(article, Mapping):
                notes = [n for n in ("cited", "relevant") if article.get(n)]
                if "rank" in article:
                    notes.insert(0, f"#{article['rank']}")
                yield ArticleView(
                    title=str(article.get("title") or article.get("article_id") or "article"),
                    heading=str(article.get("heading") or ""),
                    url=article.get("url") if isinstance(article.get("url"), str) else None,
                    note=" · ".join(notes),
                )
            elif article:
                yield ArticleView(title=str(article))
        return
    for title in checked if isinstance(checked, list | tuple) else ():
        yield ArticleView(title=str(title), note="checked")


def _wait(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"about {int(value)} minutes"
    if not isinstance(value, Mapping):
        return str(value)
    label = value.get("label") or value.get("team")
    phrase = value.get("phrase")
    minutes = value.get("minutes")
    if not phrase and isinstance(minutes, int | float):
        phrase = "about 1 minute" if minutes == 1 else f"about {int(minutes)} minutes"
    if not phrase and value.get("open") is False:
        phrase = "the team was closed" + _until(value.get("opens_at"))
    if not phrase:
        phrase = "no estimate: nobody from the team was online"
    return f"{phrase} ({label})" if label else str(phrase)


def _until(opens_at: Any) -> str:
    try:
        return f" until {datetime.fromisoformat(str(opens_at)):%A %H:%M}"
    except ValueError:
        return ""


def _steps(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
        return
    if not isinstance(value, list | tuple):
        return
    for step in value:
        if isinstance(step, Mapping):
            text = step.get("text") or step.get("step") or step.get("action") or step.get("title")
            why = step.get("why") or step.get("reason")
            if text:
                yield f"{text} — {why}" if why else str(text)
        elif step:
            yield str(step)
