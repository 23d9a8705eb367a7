"""``relaydesk eval handoff --hint3`` on a small hand-written HINT3-shaped folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaydesk.eval_commands import eval_app
from relaydesk.signals.eval_data import BITEXT, HINT3, NLUPP, read_hint3_bots
from relaydesk.signals.intent_data import MissingData

runner = CliRunner()

# Shaped like HINT3's v2/train files, including powerplay11's trailing empty column.
BOTS: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "curekart": (
        ["sentence", "label"],
        [
            ("please let me chat with a human", "CHAT_WITH_AGENT"),
            ("terrible service", "CHAT_WITH_AGENT"),  # routed to a person, but no ask
            ("when does my order ship", "ORDER_STATUS"),
        ],
    ),
    "powerplay11": (
        ["sentence", "label", ""],
        [
            ("get me an agent", "CHAT_WITH_AN_AGENT"),
            ("how do referrals work", "REFERRALS"),
        ],
    ),
    "sofmattress": (
        ["sentence", "label"],
        [
            ("connect me to a real person", "LEAD_GEN"),  # an ask its bot routes elsewhere
            ("what sizes do you have", "SIZE"),
        ],
    ),
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / HINT3
    folder.mkdir(parents=True)
    for bot, (header, rows) in BOTS.items():
        with (folder / f"{bot}_train.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([*row, ""][: len(header)] for row in rows)
    bitext = tmp_path / BITEXT
    bitext.parent.mkdir(parents=True)
    bitext.write_text("instruction,intent\nhuman please,contact_human_agent\n", encoding="utf-8")
    fold = tmp_path / NLUPP / "banking/fold0.json"
    fold.parent.mkdir(parents=True)
    fold.write_text(json.dumps([{"text": "what is my pin", "intents": ["pin"]}]))
    return tmp_path


def test_reader_labels_only_the_routes_to_an_agent_labels(data_dir: Path) -> None:
    bots = read_hint3_bots(data_dir / HINT3)
    assert list(bots) == ["curekart", "powerplay11", "sofmattress"]
    assert [r.positive for r in bots["curekart"]] == [True, True, False]
    assert [r.positive for r in bots["powerplay11"]] == [True, False]
    assert not any(r.positive for r in bots["sofmattress"])
    assert bots["sofmattress"][0].source == "hint3:sofmattress:LEAD_GEN"


def test_reader_refuses_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingData):
        read_hint3_bots(tmp_path)


def test_hint3_rows_per_bot_and_together(data_dir: Path) -> None:
    result = runner.invoke(eval_app, ["handoff", "--data-dir", str(data_dir), "--hint3", "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    rows = {r["dataset"]: r for r in output["rows"]}
    assert rows["hint3 curekart"]["metrics"]["tp"] == 1
    assert rows["hint3 curekart"]["metrics"]["fn"] == 1  # the complaint is no ask
    assert rows["hint3 powerplay11"]["metrics"]["recall"] == 1.0
    # No routes-to-an-agent label: only firings are counted, and the real ask fires.
    assert rows["hint3 sofmattress"]["metrics"] == {"fired": 1, "rate": 0.5}
    together = rows["hint3 all bots"]
    assert (together["n"], together["positives"]) == (7, 3)
    assert together["metrics"]["fp"] == 1
    assert rows["hint3 all bots"]["published"].startswith("labels = the bot routes")
    assert any("not that the customer asked" in note for note in output["notes"])


def test_hint3_rows_are_opt_in(data_dir: Path) -> None:
    result = runner.invoke(eval_app, ["handoff", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert not any(r["dataset"].startswith("hint3") for r in json.loads(result.stdout)["rows"])
