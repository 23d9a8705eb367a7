"""``relaydesk eval ...``: measurements on public datasets, each printed beside its published
figure. Each part keeps its evaluation beside its code; this module only gathers the commands."""

from __future__ import annotations

import typer

from relaydesk.knowledge.evaluation import retrieval
from relaydesk.resolver.grounding_eval import grounding
from relaydesk.signals.eval_handoff import handoff
from relaydesk.signals.eval_repeat import repeat
from relaydesk.signals.eval_satisfaction import satisfaction
from relaydesk.signals.eval_unseen import banking77_oos
from relaydesk.signals.intent_commands import banking77, clinc150, dstc11, hint3

eval_app = typer.Typer(help="Evaluate retrieval, grounding and signals on public datasets.")
eval_app.command("grounding")(grounding)
eval_app.command("retrieval")(retrieval)
eval_app.command("handoff")(handoff)
eval_app.command("satisfaction")(satisfaction)
eval_app.command("repeat")(repeat)
eval_app.command("banking77")(banking77)
eval_app.command("clinc150")(clinc150)
eval_app.command("banking77-oos")(banking77_oos)
eval_app.command("hint3")(hint3)
eval_app.command("dstc11")(dstc11)
