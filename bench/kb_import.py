"""Benchmark of importing a real knowledge base: the 698 bank help articles of tau2-bench.

    python bench/kb_import.py [--data-dir ../shared/data] [--backends sqlite,postgresql]
                              [--write-docs]

Runs the code path of ``relaydesk kb import`` (read files, store in batches) into a fresh
database per backend, then: the same import again (every article unchanged), the index built
with BM25 only, with embeddings computed (a cold cache) and with embeddings read back from the
database (what a restart or a second worker pays), and the database's size. Query latency is
``bench/knowledge.py``'s.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from relaydesk.db import Database
from relaydesk.knowledge import store
from relaydesk.knowledge.embeddings import load_embedder
from relaydesk.knowledge.importers import files_under
from relaydesk.knowledge.runtime import build_index

# isort: split
from report import DOCS, machine_facts, replace_section
from servers import each_backend

SECTION = "knowledge-import"
DOCUMENTS = Path("tau2_bench/banking_knowledge/documents")


@dataclass
class Result:
    backend: str
    articles: int
    passages: int
    problems: int
    first_import: float
    again: float
    bm25_index: float
    cold_index: float | None
    warm_index: float | None
    database_mb: float


def import_folder(database: Database, folder: Path) -> tuple[store.ImportCounts, int]:
    files, unreadable = files_under([folder])
    counts, problems = store.import_files(database, files)
    return counts, len(unreadable) + len(problems)


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def size_mb(database: Database, url: str) -> float:
    if database.dialect == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        files = [path, path.with_name(path.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 1e6
    with database.read() as session:
        return float(session.scalar(text("SELECT pg_database_size(current_database())"))) / 1e6


def run(name: str, url: str, folder: Path) -> Result:
    database = Database(url)
    database.upgrade()
    (counts, problems), first = timed(lambda: import_folder(database, folder))
    (again_counts, _), again = timed(lambda: import_folder(database, folder))
    assert again_counts.unchanged == counts.created, "a second import must change nothing"
    (index, _), bm25 = timed(lambda: build_index(database, None))
    embedder, reason = load_embedder()
    cold = warm = None
    if embedder is None:
        print(reason, file=sys.stderr)
    else:
        embedder.embed(["warm up"])
        # Forget the vectors this process holds: cold embeds them all, warm reads them back
        # from the database, as a restart or another worker would.
        store.DatabaseVectorCache._memory.clear()
        _, cold = timed(lambda: build_index(database, embedder))
        store.DatabaseVectorCache._memory.clear()
        _, warm = timed(lambda: build_index(database, embedder))
    result = Result(
        name, counts.created, len(index.passages), problems, first, again, bm25, cold, warm,
        size_mb(database, url),
    )  # fmt: skip
    database.dispose()
    return result


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


HEADER = (
    "backend", "articles", "passages", "import", "again (unchanged)", "BM25 index",
    "index + embeddings (cold)", "index (cached vectors)", "database",
)  # fmt: skip


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    return [
        (
            r.backend,
            str(r.articles),
            str(r.passages),
            seconds(r.first_import),
            seconds(r.again),
            seconds(r.bm25_index),
            seconds(r.cold_index),
            seconds(r.warm_index),
            f"{r.database_mb:.1f} MB",
        )
        for r in results
    ]


def markdown(results: list[Result], machine: str, date: str) -> str:
    lines = [
        "## Importing a knowledge base",
        "",
        f"Measured by `bench/kb_import.py` on {date} ({machine}): the 698 bank help articles of "
        "tau2-bench (`banking_knowledge/documents`, one JSON file each), through the code path "
        "of `relaydesk kb import`.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + " --- |" * len(HEADER),
        *("| " + " | ".join(row) + " |" for row in rows(results)),
        "",
        "The cold index embeds every passage once (all-MiniLM-L6-v2, one thread) and stores the "
        "vectors in the database; the cached build is what a restart, a second worker, or the "
        "next import pays: only passages whose text changed are embedded again.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    folder = args.data_dir / DOCUMENTS
    if not folder.is_dir():
        print(f"no articles at {folder}: pass --data-dir (the shared data folder)", file=sys.stderr)
        return 2
    results: list[Result] = []
    versions: list[str] = []
    for backend in each_backend(args.backends, "relaydesk-bench-kb-"):
        versions.append(backend.version)
        print(f"{backend.name} …", file=sys.stderr, flush=True)
        results.append(run(backend.name, backend.make_url("kb"), folder))
    for row in [HEADER, *rows(results)]:
        print("  ".join(f"{cell:>14}" for cell in row))
    if args.write_docs:
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        section = markdown(results, machine_facts(versions), date)
        DOCS.write_text(replace_section(DOCS.read_text(), SECTION, section))
        print(f"wrote {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
