"""The ``workforce-guide search`` subcommand: search the catalogue from a terminal or a script.

``search "QUERY"`` prints the results readably; ``--json`` prints one JSON object,
``{"query": ..., "band": ..., "results": [{"id": ..., "title": ..., "score": ...}, ...]}``,
with what the user of the bot would see: ``band`` is ``"answer"`` (a confident answer),
``"suggest"`` (the results are "Did you mean" suggestions, not answers) or ``"none"``
(nothing matches, results empty; the bot records such a query as a search gap); at most five
results. ``--stdin`` reads one query a line and prints one such JSON object a line, in order.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.search import Band, SearchIndex, SearchResult

DEFAULT_LIMIT = 5


JSON_MAX_RESULTS = 5
# The band as the JSON names it: what the user was shown.
JSON_BANDS = {Band.CONFIDENT: "answer", Band.SUGGEST: "suggest", Band.NONE: "none"}


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the search subcommand's arguments to a parser."""
    parser.add_argument("query", nargs="?", metavar="QUERY", help="what to search for")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON: {query, band: answer|suggest|none, results: [{id, title, score}]}",
    )
    parser.add_argument(
        "--stdin", action="store_true", help="read one query a line; print one JSON object a line"
    )
    parser.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIMIT,
        help=f"at most this many results (default {DEFAULT_LIMIT})",
    )


def run_search(args: argparse.Namespace, index: SearchIndex, out: TextIO, stdin: TextIO) -> int:
    """Run the search subcommand and return its exit code."""
    limit: int = args.limit
    if args.stdin or args.json:
        # The JSON contract promises at most five results, whatever --limit asks for.
        limit = min(limit, JSON_MAX_RESULTS)
    if args.stdin:
        for line in stdin:
            query = line.rstrip("\r\n")
            print(json.dumps(_as_json(index.search(query, limit)), ensure_ascii=False), file=out)
            out.flush()  # a script reading line by line gets each answer as it is ready
        return 0
    if args.query is None:
        print("workforce-guide search: give a QUERY, or --stdin to read queries", file=sys.stderr)
        return 2
    result = index.search(args.query, limit)
    if args.json:
        print(json.dumps(_as_json(result), ensure_ascii=False), file=out)
    else:
        out.write(render_text(result))
    return 0


def render_text(result: SearchResult) -> str:
    """Return a search result as readable text."""
    lines: list[str] = []
    if result.band is Band.CONFIDENT:
        lines.append(f'Results for "{result.query}":')
        for number, hit in enumerate(result.hits, start=1):
            lines.append(f"{number:>3}. {hit.resource.title}")
            lines.append(f"     {hit.resource.publisher} · score {hit.score:.2f}")
    elif result.band is Band.SUGGEST:
        lines.append(f'No clear match for "{result.query}".')
        lines.append("Did you mean:")
        for hit in result.hits:
            lines.append(f"  - {hit.resource.title}")
            lines.append(f"    {hit.resource.publisher} · score {hit.score:.2f}")
    else:
        lines.append(f'Nothing matches "{result.query}". Try other words, or browse a topic.')
    return "\n".join(lines) + "\n"


def _as_json(result: SearchResult) -> dict[str, Any]:
    """Return the JSON shape of a result: its band and what it showed (answers or suggestions)."""
    hits = () if result.band is Band.NONE else result.hits[:JSON_MAX_RESULTS]
    return {
        "query": result.query,
        "band": JSON_BANDS[result.band],
        "results": [
            {"id": h.resource.id, "title": h.resource.title, "score": round(h.score, 3)}
            for h in hits
        ],
    }


def _positive_int(text: str) -> int:
    """Parse a whole number of at least 1 for --limit."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value
