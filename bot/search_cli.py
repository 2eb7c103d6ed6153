"""``workforce-guide search``: the resource search from the command line, readable or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bot.search import Band, SearchIndex, SearchResult

MAX_JSON_RESULTS = 5


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the search command's arguments."""
    parser.add_argument("query", nargs="?", help='what to look for, e.g. "safe stafing"')
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--stdin", action="store_true", help="read one query a line; print JSON lines"
    )
    parser.add_argument(
        "--limit", type=int, default=MAX_JSON_RESULTS, help="results to show (max 5)"
    )


def run_search(args: argparse.Namespace, index: SearchIndex, out: TextIO, stdin: TextIO) -> int:
    """Run the search command; return its exit code."""
    limit = max(1, min(args.limit, MAX_JSON_RESULTS))
    if args.stdin:
        for line in stdin:
            query = line.rstrip("\n")
            out.write(json.dumps(as_json(query, index.search(query, limit=limit))) + "\n")
        return 0
    if args.query is None:
        out.write('Give a query, e.g. workforce-guide search "safe staffing", or use --stdin.\n')
        return 2
    result = index.search(args.query, limit=limit)
    if args.json:
        out.write(json.dumps(as_json(args.query, result), indent=2) + "\n")
    else:
        out.write(as_text(result))
    return 0


def as_json(query: str, result: SearchResult) -> dict[str, Any]:
    """Return confident results as JSON data; suggestions and no-match give an empty list."""
    hits = result.hits if result.band == Band.CONFIDENT else ()
    return {
        "query": query,
        "results": [
            {"id": h.resource.id, "title": h.resource.title, "score": round(h.score, 3)}
            for h in hits[:MAX_JSON_RESULTS]
        ],
    }


def as_text(result: SearchResult) -> str:
    """Return results as numbered lines a person can read."""
    if result.band == Band.NONE or not result.hits:
        return f"Nothing matches {result.query!r}.\n"
    heading = "Results" if result.band == Band.CONFIDENT else "Did you mean"
    lines = [f"{heading} for {result.query!r}:"]
    for number, hit in enumerate(result.hits, start=1):
        resource = hit.resource
        lines.append(
            f"{number}. {resource.title} ({resource.publisher}) [{resource.id}] {hit.score:.2f}"
        )
    return "\n".join(lines) + "\n"
