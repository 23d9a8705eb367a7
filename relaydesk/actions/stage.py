"""The message path's action stage: the AI's proposals, authorized and run (or not).

The AI acts for the conversation's customer and nobody else; each proposal goes through
``ActionRuntime.run`` like any other request, so it runs only if the Cedar policies allow it
for that actor, on that customer's own resources, within the limits. A proposal that is
malformed is reported, not run; an unexpected error leaves the remaining proposals unrun.

When a delegated agent wrote the message, the proposals are the agent's request in the AI's
words, so they are authorized as that agent: its grant's scopes and refund limit, never the
customer's own rights nor the AI's.
"""

from __future__ import annotations

import logging

from relaydesk.actions.service import ActionRequest, ActionRuntime
from relaydesk.conversations.turn import Turn
from relaydesk.errors import RelaydeskError
from relaydesk.permissions.actors import Actor, ActorKind
from relaydesk.policy.decision import Decision, Route
from relaydesk.resolver.types import ActionTaken, Attempt, ProposedAction

log = logging.getLogger(__name__)


def authorize_and_run(turn: Turn, attempt: Attempt, runtime: ActionRuntime | None) -> Attempt:
    """The attempt with ``actions`` filled in: what was run, refused or sent for approval."""
    if runtime is None or not attempt.proposals or turn.handed_over:
        return attempt
    actor = acting_for(turn)
    taken = []
    for index, proposal in enumerate(attempt.proposals[: runtime.max_per_message]):
        request = ActionRequest(
            proposal.name,
            proposal.arguments,
            actor,
            conversation_id=turn.conversation_id,
            message_id=turn.message_id,
            proposal_index=index,
        )
        try:
            taken.append(runtime.run(request))
        except RelaydeskError as error:  # malformed or unknown: nothing ran
            taken.append(_refused(proposal, error))
    return attempt.model_copy(update={"actions": tuple(taken)})


def to_approving_team(decision: Decision, attempt: Attempt, fallback: str) -> Decision:
    """A ``require_approval`` decision whose rule names no team goes to the team that approves
    the first action waiting (billing for a refund over a cap), else to ``fallback``."""
    if decision.route != Route.REQUIRE_APPROVAL or decision.team is not None:
        return decision
    waiting = (a.team for a in attempt.actions if a.status == "awaiting_approval" and a.team)
    return decision.model_copy(update={"team": next(waiting, fallback)})


def acting_for(turn: Turn) -> Actor:
    """Whose rights the AI's proposals in this turn are checked against."""
    if turn.actor is not None and turn.actor.kind == ActorKind.DELEGATED_AGENT:
        return turn.actor
    return Actor.ai(turn.customer.id)


def _refused(proposal: ProposedAction, error: RelaydeskError) -> ActionTaken:
    log.info("proposed action %s refused: %s", proposal.name, error.message)
    return ActionTaken(
        action=str(proposal.name)[:64],
        status="invalid",
        result={"error": error.message},
    )
