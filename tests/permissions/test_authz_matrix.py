"""The authorization matrix: every actor, action, resource and amount boundary, checked
against the shipped Cedar policies. The expectations are generated from the tables below
(what each actor may do, and the limits), not hand-picked; anything not in them is denied."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from relaydesk.permissions.actors import Actor, ActorKind, Scope
from relaydesk.permissions.authz import Authorizer, Outcome, Resource

ME, OTHER = "customer-me", "customer-other"
TOTAL = 30_000  # cents on the order
ORDER_ACTIONS = ("order_status", "start_return", "refund")
ACCOUNT_ACTIONS = (
    "change_email",
    "change_address",
    "close_account",
    "create_case",
    "lookup_customer",
)
AMOUNTS = (-1, 0, 1, 2_500, 2_501, 5_000, 5_001, 20_000, 20_001, TOTAL, TOTAL + 1)


def delegated(*scopes: Scope, limit: int = 0) -> Actor:
    return Actor(
        kind=ActorKind.DELEGATED_AGENT,
        id="shopper.example",
        on_behalf_of=ME,
        scopes=scopes,
        refund_limit_cents=limit,
        grant_id="g1",
    )


ACTORS: dict[str, Actor] = {
    "customer": Actor.customer(ME),
    "ai": Actor.ai(ME),
    "delegated-all": delegated(*Scope, limit=5_000),
    "delegated-answer": delegated(Scope.ANSWER),
    "delegated-refund": delegated(Scope.REQUEST_REFUND, limit=5_000),
    "delegated-refund-no-limit": delegated(Scope.REQUEST_REFUND),
    "delegated-case": delegated(Scope.CREATE_CASE),
    "delegated-account": delegated(Scope.CHANGE_ACCOUNT),
    **{
        f"person-{role}": Actor.human_agent(f"h-{role}", role)
        for role in ("agent", "specialist", "admin", "qa", "knowledge_ops")
    },
    "system": Actor(kind=ActorKind.SYSTEM, id="relaydesk"),
}

SELF_SERVICE = {
    "order_status",
    "start_return",
    "create_case",
    "change_email",
    "change_address",
    "lookup_customer",
}
SCOPED = {  # a delegated agent's scope → the actions it opens
    Scope.ANSWER: {"order_status"},
    Scope.CREATE_CASE: {"create_case"},
    Scope.REQUEST_REFUND: {"refund", "start_return"},
    Scope.CHANGE_ACCOUNT: {"change_email", "change_address"},
}
PEOPLE = {"agent", "specialist", "admin"}  # roles that act for customers at all
# Refund limits without a person: (cents, team that approves above it).
AI_REFUND = (2_500, "billing")
AGENT_REFUND = 20_000  # an agent's own limit; specialists and admins have none
APPROVAL_FOR = {"change_email": "frontline", "change_address": "frontline"}  # for the AI


def expected(actor: Actor, action: str, own: bool, amount: int) -> tuple[Outcome, str | None]:
    deny = (Outcome.DENY, None)
    kind = actor.kind
    if kind == ActorKind.SYSTEM:
        return deny
    if action == "refund" and not 0 < amount <= TOTAL:
        return deny
    if kind == ActorKind.HUMAN_AGENT:
        return _person(actor.role or "", action, amount)
    if not own:
        return deny
    if action == "close_account":
        return (Outcome.APPROVAL, "specialists")
    if kind == ActorKind.CUSTOMER:
        return (Outcome.ALLOW, None) if action in SELF_SERVICE else deny
    if kind == ActorKind.AI:
        return _ai(action, amount)
    allowed = set().union(*(SCOPED[s] for s in actor.scopes))
    if action not in allowed:
        return deny
    if action == "refund" and amount > actor.refund_limit_cents:
        return (Outcome.APPROVAL, "billing")
    return (Outcome.ALLOW, None)


def _ai(action: str, amount: int) -> tuple[Outcome, str | None]:
    if action in {"order_status", "create_case", "start_return", "lookup_customer"}:
        return (Outcome.ALLOW, None)
    if action == "refund":
        return (Outcome.ALLOW, None) if amount <= AI_REFUND[0] else (Outcome.APPROVAL, "billing")
    return (Outcome.APPROVAL, APPROVAL_FOR[action])


def _person(role: str, action: str, amount: int) -> tuple[Outcome, str | None]:
    if role not in PEOPLE:
        return (Outcome.DENY, None)
    if action == "refund":
        ok = role in ("specialist", "admin") or amount <= AGENT_REFUND
        return (Outcome.ALLOW if ok else Outcome.DENY, None)
    if action == "close_account":
        return (Outcome.ALLOW if role in ("specialist", "admin") else Outcome.DENY, None)
    return (Outcome.ALLOW, None)


def cases() -> Iterator[tuple[str, str, str, int]]:
    resources = {"own": ME, "other": OTHER}
    for actor, action, whose in itertools.product(
        ACTORS, ORDER_ACTIONS + ACCOUNT_ACTIONS, resources
    ):
        for amount in AMOUNTS if action == "refund" else (0,):
            yield actor, action, whose, amount


def resource(action: str, owner: str) -> Resource:
    if action in ORDER_ACTIONS:
        attrs = {
            "status": "delivered",
            "total_cents": TOTAL,
            "refundable_cents": TOTAL,
            "final_sale": False,
        }
        return Resource("Order", f"order-of-{owner}", owner, attrs)
    return Resource("Account", owner, owner)


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    return Authorizer.from_file()


def test_the_matrix_is_large_and_mostly_denied() -> None:
    outcomes = [expected(ACTORS[a], x, w == "own", n)[0] for a, x, w, n in cases()]
    assert len(outcomes) > 500
    assert outcomes.count(Outcome.DENY) > len(outcomes) / 2  # default deny dominates


@pytest.mark.parametrize(("actor", "action", "whose", "amount"), list(cases()))
def test_matrix(authorizer: Authorizer, actor: str, action: str, whose: str, amount: int) -> None:
    who = ACTORS[actor]
    owner = ME if whose == "own" else OTHER
    verdict = authorizer.check(who, action, resource(action, owner), amount)
    outcome, team = expected(who, action, whose == "own", amount)
    assert (verdict.outcome, verdict.approval_team) == (outcome, team), verdict
    assert verdict.policies, "every verdict names the policies that decided"
