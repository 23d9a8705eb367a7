"""`relaydesk kb`: import (idempotent, bad files named by line), search, show, delete."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from relaydesk.cli import app

runner = CliRunner()


def kb(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["kb", *args])
    return result.exit_code, result.stdout, result.stderr


def write_kb(folder: Path) -> None:
    folder.mkdir()
    (folder / "gift-cards.md").write_text(
        "---\nid: kb-gift\ntitle: Gift cards\n---\n## Expiry\nGift cards never expire.\n"
    )
    (folder / "more.jsonl").write_text(
        json.dumps({"id": "kb-socks", "title": "Socks", "content": "Socks ship free."})
        + "\n{broken\n"
    )


def test_import_search_show_delete(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    write_kb(tmp_path / "kb")
    code, out, err = kb("import", str(tmp_path / "kb"), "--db", db)
    assert code == 1  # something could not be read; the rest was imported
    assert "2 created" in out
    assert f"{tmp_path / 'kb' / 'more.jsonl'}:2" in err

    code, out, _ = kb("import", str(tmp_path / "kb" / "gift-cards.md"), "--db", db)
    assert code == 0
    assert "1 unchanged" in out

    code, out, _ = kb("search", "do gift cards expire", "--json", "--k", "3", "--db", db)
    assert code == 0
    assert json.loads(out)["hits"][0]["article_id"] == "kb-gift"

    (tmp_path / "kb" / "gift-cards.md").write_text(
        "---\nid: kb-gift\ntitle: Gift cards\n---\n## Expiry\nGift cards expire after 5 years.\n"
    )
    code, out, _ = kb("import", str(tmp_path / "kb" / "gift-cards.md"), "--db", db)
    assert "1 updated" in out
    code, out, _ = kb("show", "kb-gift", "--version", "1", "--db", db)
    assert code == 0
    assert "never expire" in out
    assert "v1" in out
    assert "v2" in out

    assert kb("delete", "kb-gift", "--db", db)[0] == 0
    code, _, err = kb("delete", "kb-gift", "--db", db)
    assert code == 1
    assert "no article" in err
    code, out, _ = kb("search", "gift cards expire", "--json", "--db", db)
    assert all(hit["article_id"] != "kb-gift" for hit in json.loads(out)["hits"])


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    code, _, err = kb("import", str(tmp_path / "nowhere"), "--db", f"sqlite:///{tmp_path / 'k.db'}")
    assert code == 1
    assert "no such file or folder" in err
