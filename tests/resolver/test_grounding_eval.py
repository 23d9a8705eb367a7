from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from relaydesk.cli import app
from relaydesk.resolver.grounding_eval import roc_auc

HEADER = "model_name\tdata_source\tknowledge\tmessage\tresponse\tbegin_label\n"
ROWS = [
    ("the shop opened in 1998 in leeds .", "it opened in 1998 in leeds", "Fully attributable"),
    ("the shop opened in 1998 in leeds .", "it opened in 2004 in york", "Not fully attributable"),
    ("returns are free for 30 days .", "returns are free for 30 days", "Fully attributable"),
    ("returns are free for 30 days .", "i love shopping there !", "Generic"),
]


def begin_file(path: Path) -> Path:
    lines = [f"t5\twow\t{k}\thi\t{r}\t{label}\n" for k, r, label in ROWS]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def test_runs_on_any_file_in_begins_format(tmp_path: Path) -> None:
    file = begin_file(tmp_path / "mine.tsv")
    args = ["eval", "grounding", "--file", str(file), "--lexical-only", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["files"]
    assert report["name"] == "mine"
    assert report["examples"] == 4
    assert report["attributable"] == 2
    assert report["auc"] == 1.0
    assert report["precision"] == 1.0
    assert report["recall"] == 1.0


def test_missing_data_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "grounding", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "BEGIN data not found" in result.output


def test_roc_auc_counts_ties_half() -> None:
    assert roc_auc([0.1, 0.9], [False, True]) == 1.0
    assert roc_auc([0.5, 0.5], [False, True]) == 0.5
    assert roc_auc([0.9, 0.1, 0.95], [False, True, True]) == 0.5
