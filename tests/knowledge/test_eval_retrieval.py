from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaydesk.eval_commands import eval_app
from relaydesk.knowledge.evaluation import document_ranking, load_faq, score
from relaydesk.knowledge.index import KnowledgeIndex

runner = CliRunner()
THREADS = [
    {"rephr": ["How do I cross out text on GitHub?", "*", None, "strikethrough in markdown"],
     "question": "Strikethrough with GitHub Markdown",
     "answer": ["Use ~~tildes around the words~~.", "Or the <del> tag."]},
    {"rephr": "Changing the default shell on a Mac",
     "question": "How to change the login shell on macOS",
     "answer": "Run chsh -s /bin/zsh and open a new terminal."},
    {"rephr": ["Undo my last git commit", "revert the previous commit but keep changes"],
     "question": "Undo the most recent local commit in Git",
     "answer": ["git reset --soft HEAD~1 keeps your changes staged."]},
    {"rephr": ["Python list sorted by a key"],
     "question": "Sorting a list of dictionaries by a value",
     "answer": ["Use sorted(items, key=lambda d: d['name'])."]},
]  # fmt: skip


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-faq.json"
    path.write_text(json.dumps({"root": {"qapair": THREADS}}))
    return path


def test_metrics_on_hand_made_rankings() -> None:
    rankings = [["a", "b"], ["x", "y", "a"], ["x", "y"], [*"cdefghijk", "a"]]
    metrics = score(rankings, ["a", "a", "a", "a"])
    # ranks 1, 3, never, 10
    assert metrics.queries == 4
    assert metrics.recall_at_1 == 0.25
    assert metrics.recall_at_5 == 0.5
    assert metrics.recall_at_10 == 0.75
    assert metrics.mrr == round((1 + 1 / 3 + 0 + 1 / 10) / 4, 4)
    assert metrics.ndcg_at_10 == pytest.approx((1 + 0.5 + 0 + 1 / 3.4594316) / 4, abs=1e-4)


def test_threads_become_articles_and_junk_paraphrases_are_skipped(faq_file: Path) -> None:
    data = load_faq(faq_file, seed=1)
    assert [a.id for a in data.articles] == [f"thread-00{i}" for i in range(4)]
    assert data.articles[1].body.startswith("Run chsh")
    assert [q.text for q in data.queries[:2]] == [
        "How do I cross out text on GitHub?",
        "strikethrough in markdown",
    ]
    assert len(data.queries) == 6
    assert sorted({q.split for q in data.queries}) == ["test", "tune"]
    assert load_faq(faq_file, seed=1) == data  # seeded


def test_documents_are_ranked_by_their_best_passage(faq_file: Path) -> None:
    index = KnowledgeIndex(load_faq(faq_file, seed=1).articles)
    ranking = document_ranking(index, "undo git commit", "bm25")
    assert ranking[0] == "thread-002"
    assert len(ranking) == len(set(ranking))


def test_the_command_prints_json(faq_file: Path) -> None:
    result = runner.invoke(
        eval_app, ["retrieval", "--file", str(faq_file), "--mode", "bm25", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["dataset"] == "tiny-faq"
    assert report["documents"] == 4
    assert report["published"] == {"bm25_ndcg_at_10": 0.783}
    everything = next(r for r in report["results"] if r["split"] == "all")
    assert everything["mode"] == "bm25"
    assert everything["queries"] == 6
    assert everything["recall_at_10"] == 1.0


def test_a_missing_data_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(eval_app, ["retrieval", "--data-dir", str(tmp_path), "--mode", "bm25"])
    assert result.exit_code == 2
    assert "not found" in result.output
