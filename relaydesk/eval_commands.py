"""``relaydesk eval ...``: measurements on public datasets, each printed beside its published
figure. Each part keeps its evaluation beside its code; this module only gathers the commands."""

from __future__ import annotations

import typer

eval_app = typer.Typer(help="Evaluate retrieval, grounding and signals on public datasets.")
