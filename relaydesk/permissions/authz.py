"""Authorization with Cedar: a policy file the company reads and changes, checked at load.

Every action is checked here, outside the model, against who asks (the actor), for whom (the
customer it acts for), on what (the order or account, with its real owner and amounts) and
how much. The answer is a ``Verdict``: allow, deny, or "a person must approve", with the ids of
the policies that decided — stored with the action.

Cedar's own rules hold: nothing is allowed without a ``permit`` (default deny) and a ``forbid``
that applies beats every ``permit``. Relaydesk adds one convention: a ``forbid`` annotated
``@approval("team")`` sends the action to that team for approval instead of refusing it
outright — but only when every forbid that fired is such a one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import cedarpy
from pydantic import BaseModel, ConfigDict

from relaydesk.errors import Unprocessable
from relaydesk.permissions.actors import Actor, ActorKind

HERE = Path(__file__).parent
DEFAULT_POLICIES = HERE / "policies.cedar"
SCHEMA_FILE = HERE / "schema.cedarschema"
DEFAULT_DENY = "default-deny"

_PRINCIPAL_TYPES = {
    ActorKind.CUSTOMER: "Customer",
    ActorKind.HUMAN_AGENT: "HumanAgent",
    ActorKind.AI: "RelaydeskAI",
    ActorKind.DELEGATED_AGENT: "DelegatedAgent",
}


class AuthzInvalid(Unprocessable):
    """The policy file does not parse or does not fit the schema; nothing was loaded."""

    code = "invalid_authorization_policy"


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    APPROVAL = "approval"  # a person must approve; it then runs as that person


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    policies: tuple[str, ...]  # the @ids of the policies that decided; "default-deny" if none
    reasons: tuple[str, ...] = ()  # the deciding forbids' @reason texts
    approval_team: str | None = None
    errors: tuple[str, ...] = ()  # policies that failed to evaluate (Cedar skips them)

    @property
    def allowed(self) -> bool:
        return self.outcome == Outcome.ALLOW


@dataclass(frozen=True)
class Resource:
    """The thing an action touches, with facts read from the system of record."""

    type: str  # "Order" | "Account"
    id: str
    owner: str  # the owning customer's id
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    policy: str
    message: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.message}" if self.policy else self.message


def _entity(type_: str, id_: str) -> dict[str, Any]:
    return {"__entity": {"type": type_, "id": id_}}


def validate_source(source: str, schema: str | None = None) -> list[Problem]:
    """Every problem with a policy file: its syntax, then its fit to the schema."""
    schema_text = schema if schema is not None else SCHEMA_FILE.read_text("utf-8")
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(source))
    except ValueError as error:
        return [Problem("", f"does not parse: {error}")]
    problems = [
        Problem(_annotation_id(parsed, e.policy_id), e.error)
        for e in cedarpy.validate_policies(source, schema_text).errors
    ]
    for policy_id, policy in parsed["staticPolicies"].items():
        if "id" not in policy.get("annotations", {}):
            problems.append(Problem(policy_id, 'every policy needs an @id("...") annotation'))
    return problems


def _annotation_id(parsed: dict[str, Any], policy_id: str) -> str:
    policy = parsed.get("staticPolicies", {}).get(policy_id, {})
    return str(policy.get("annotations", {}).get("id", policy_id))


class Authorizer:
    """A loaded, validated policy file. Build it once; ``check`` is safe across threads."""

    def __init__(self, source: str, schema: str | None = None) -> None:
        schema_text = schema if schema is not None else SCHEMA_FILE.read_text("utf-8")
        problems = validate_source(source, schema_text)
        if problems:
            raise AuthzInvalid(
                "the authorization policy has errors", problems=[str(p) for p in problems]
            )
        self.source = source
        self._policies = cedarpy.PolicySet.from_str(source)
        self._schema = cedarpy.Schema.from_str(schema_text)
        parsed = json.loads(cedarpy.policies_to_json_str(source))
        self._annotations: dict[str, dict[str, str]] = {
            key: dict(policy.get("annotations", {}))
            for key, policy in parsed["staticPolicies"].items()
        }

    @classmethod
    def from_file(cls, path: Path = DEFAULT_POLICIES) -> Authorizer:
        return cls(path.read_text("utf-8"))

    def check(
        self,
        actor: Actor,
        action: str,
        resource: Resource,
        amount_cents: int = 0,
        conversation: str | None = None,
    ) -> Verdict:
        principal = _PRINCIPAL_TYPES.get(actor.kind)
        if principal is None:
            return Verdict(outcome=Outcome.DENY, policies=(DEFAULT_DENY,))
        customer = resource.owner if actor.kind == ActorKind.HUMAN_AGENT else actor.on_behalf_of
        request = {
            "principal": {"type": principal, "id": actor.id},
            "action": {"type": "Action", "id": action},
            "resource": {"type": resource.type, "id": resource.id},
            "context": {
                "customer": _entity("Customer", customer or ""),
                "amount_cents": amount_cents,
                "conversation": conversation or "",
            },
        }
        entities = [_principal_entity(principal, actor), _resource_entity(resource)]
        result = cedarpy.is_authorized(request, self._policies, entities, self._schema)
        return self._verdict(result)

    def _verdict(self, result: cedarpy.AuthzResult) -> Verdict:
        keys = list(result.diagnostics.reasons)
        notes = [self._annotations.get(key, {}) for key in keys]
        ids = tuple(note.get("id", key) for key, note in zip(keys, notes, strict=True))
        errors = tuple(str(e) for e in result.diagnostics.errors)
        if result.allowed:
            return Verdict(outcome=Outcome.ALLOW, policies=ids, errors=errors)
        reasons = tuple(note["reason"] for note in notes if "reason" in note)
        if notes and all("approval" in note for note in notes):
            team = notes[0]["approval"]
            return Verdict(
                outcome=Outcome.APPROVAL,
                policies=ids,
                reasons=reasons,
                approval_team=team,
                errors=errors,
            )
        return Verdict(
            outcome=Outcome.DENY, policies=ids or (DEFAULT_DENY,), reasons=reasons, errors=errors
        )


def _principal_entity(type_: str, actor: Actor) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if actor.kind == ActorKind.HUMAN_AGENT:
        attrs = {"role": actor.role or ""}
    elif actor.kind == ActorKind.DELEGATED_AGENT:
        attrs = {
            "customer": _entity("Customer", actor.on_behalf_of or ""),
            "scopes": [scope.value for scope in actor.scopes],
            "refund_limit_cents": actor.refund_limit_cents,
        }
    return {"uid": {"type": type_, "id": actor.id}, "attrs": attrs, "parents": []}


def _resource_entity(resource: Resource) -> dict[str, Any]:
    attrs = {"owner": _entity("Customer", resource.owner), **resource.attrs}
    return {"uid": {"type": resource.type, "id": resource.id}, "attrs": attrs, "parents": []}
