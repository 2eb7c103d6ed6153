"""Measure the resource search against labelled queries, two baselines, and the clock.

Run from the repository root::

    python -m bench.search_quality               # tuning set and held-out set, then timing
    python -m bench.search_quality --failures    # also list every query we get wrong
    python -m bench.search_quality --calibrate   # sweep the band thresholds
    python -m bench.search_quality --queries bench/queries.yaml --no-timing

"Our search" answers only in the confident band: a "Did you mean" suggestion is not an answer
(it is not in the CLI's JSON results either), so a right suggestion scores as a miss and a
no-match query answered with suggestions counts as honestly answered.

The baselines get the benefit of the doubt: their "nothing matches" cut-off is chosen on the
very set being measured, to maximise right first answers plus honest no-matches. Ours is fixed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TextIO

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

import bot.search as search_module
from bot.content_model import Resource, SearchVocabulary
from bot.loading import load_content
from bot.search import Band, SearchIndex

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
QUERY_SETS = {
    "tuning set": ROOT / "bench" / "queries.yaml",
    "held-out set (never used for tuning)": ROOT / "bench" / "queries_holdout.yaml",
}
RESULTS_SHOWN = 5  # the CLI and the bot show at most five results
SYNTHETIC_SIZE = 10_000
SYNTHETIC_SEED = 20240601
TIMING_REPEATS = 5
NAME_WIDTH = 44  # the system column of the table

Ranker = Callable[[str], list[tuple[str, float]]]  # query -> ranked (id, score), best first


@dataclass(frozen=True)
class LabelledQuery:
    """One benchmark query and the ids that are right answers (none: must not match)."""

    query: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Scores:
    """Quality of one system on one query set."""

    hit1: float
    hit3: float
    mrr: float
    nomatch_precision: float
    nomatch_recall: float
    answerable: int
    nomatch: int


@dataclass(frozen=True)
class Outcome:
    """What a system returned for one query."""

    item: LabelledQuery
    results: tuple[str, ...]


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read a labelled query file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [LabelledQuery(str(e["query"] or ""), tuple(e.get("expect") or ())) for e in raw]


def load_catalogue(
    content_dir: Path = CONTENT_DIR,
) -> tuple[tuple[Resource, ...], SearchVocabulary]:
    """Load the shipped resources and search vocabulary."""
    content = load_content(content_dir)
    return content.resources, content.vocabulary


@lru_cache(maxsize=1)
def shipped_index() -> SearchIndex:
    """Return the index of the shipped catalogue, built once per process."""
    return SearchIndex.build(*load_catalogue())


def score(outcomes: Sequence[Outcome]) -> Scores:
    """Compute hit@1, hit@3, MRR and no-match precision/recall."""
    answerable = [o for o in outcomes if o.item.expect]
    nomatch = [o for o in outcomes if not o.item.expect]
    hit1 = sum(1 for o in answerable if o.results[:1] and o.results[0] in o.item.expect)
    hit3 = sum(1 for o in answerable if set(o.results[:3]) & set(o.item.expect))
    mrr = 0.0
    for o in answerable:
        for rank, rid in enumerate(o.results[:RESULTS_SHOWN], start=1):
            if rid in o.item.expect:
                mrr += 1 / rank
                break
    said_none = [o for o in outcomes if not o.results]
    right_none = sum(1 for o in said_none if not o.item.expect)
    return Scores(
        hit1=hit1 / max(1, len(answerable)),
        hit3=hit3 / max(1, len(answerable)),
        mrr=mrr / max(1, len(answerable)),
        nomatch_precision=right_none / len(said_none) if said_none else 1.0,
        nomatch_recall=sum(1 for o in nomatch if not o.results) / max(1, len(nomatch)),
        answerable=len(answerable),
        nomatch=len(nomatch),
    )


def run_ours(index: SearchIndex, queries: Sequence[LabelledQuery]) -> list[Outcome]:
    """Answer each query with our search: confident results only."""
    outcomes = []
    for item in queries:
        result = index.search(item.query, limit=RESULTS_SHOWN)
        ids = tuple(h.resource.id for h in result.hits) if result.band is Band.CONFIDENT else ()
        outcomes.append(Outcome(item, ids))
    return outcomes


def wratio_ranker(resources: Sequence[Resource]) -> Ranker:
    """Return plain rapidfuzz WRatio over titles (with the processor it needs)."""
    titles = [r.title for r in resources]
    ids = [r.id for r in resources]

    def rank(query: str) -> list[tuple[str, float]]:
        found = process.extract(
            query, titles, scorer=fuzz.WRatio, processor=default_process, limit=RESULTS_SHOWN
        )
        return [(ids[i], s) for _, s, i in found]

    return rank


def bm25_ranker(resources: Sequence[Resource]) -> Ranker:
    """Return Okapi BM25 (rank-bm25) over title, summary and keywords."""
    from rank_bm25 import BM25Okapi

    def tokens(text: str) -> list[str]:
        return default_process(text).split()

    corpus = [tokens(" ".join((r.title, r.summary, *r.keywords))) for r in resources]
    model = BM25Okapi(corpus)
    ids = [r.id for r in resources]

    def rank(query: str) -> list[tuple[str, float]]:
        words = tokens(query)
        if not words:
            return []
        scores = model.get_scores(words)
        order = sorted(range(len(ids)), key=lambda i: -scores[i])[:RESULTS_SHOWN]
        return [(ids[i], float(scores[i])) for i in order]

    return rank


def run_baseline(ranker: Ranker, queries: Sequence[LabelledQuery]) -> tuple[list[Outcome], float]:
    """Answer each query with a baseline at its best "nothing matches" cut-off for this set."""
    ranked = [ranker(item.query) for item in queries]
    tops = sorted({r[0][1] for r in ranked if r})
    candidates = [*tops, float("inf")]

    def quality(cutoff: float) -> int:
        good = 0
        for item, found in zip(queries, ranked, strict=True):
            answered = bool(found) and found[0][1] >= cutoff and found[0][1] > 0
            if item.expect:
                good += answered and found[0][0] in item.expect
            else:
                good += not answered
        return good

    cutoff = max(candidates, key=lambda c: (quality(c), -c))
    outcomes = [
        Outcome(item, tuple(rid for rid, s in found if s >= cutoff and s > 0))
        for item, found in zip(queries, ranked, strict=True)
    ]
    return outcomes, cutoff


def synthetic_catalogue(
    resources: Sequence[Resource], size: int = SYNTHETIC_SIZE, seed: int = SYNTHETIC_SEED
) -> tuple[Resource, ...]:
    """Build a deterministic catalogue of `size` entries from the real entries' vocabulary."""
    rng = random.Random(seed)
    title_words = [w for r in resources for w in r.title.split()]
    summary_words = [w for r in resources for w in r.summary.split()]
    keywords = [k for r in resources for k in r.keywords]
    topics = sorted({t for r in resources for t in r.topics})
    audiences = sorted({a for r in resources for a in r.audience})
    publishers = sorted({r.publisher for r in resources})
    made = list(resources)
    while len(made) < size:
        n = len(made)
        made.append(
            Resource(
                id=f"synthetic-{n:05d}",
                title=" ".join(rng.choices(title_words, k=rng.randint(3, 12))),
                publisher=rng.choice(publishers),
                kind="further-reading",
                summary=" ".join(rng.choices(summary_words, k=rng.randint(20, 60))),
                audience=tuple(rng.sample(audiences, k=rng.randint(1, 3))),
                topics=tuple(rng.sample(topics, k=rng.randint(1, 2))),
                keywords=tuple(rng.sample(keywords, k=rng.randint(4, 10))),
                year=rng.choice((None, 2010, 2016, 2018, 2019)),
                home_page="https://www.hee.nhs.uk",
            )
        )
    return tuple(made[:size])


@dataclass(frozen=True)
class Timing:
    """How long building and searching took."""

    entries: int
    build_ms: float
    median_ms: float
    p99_ms: float


def time_search(
    resources: Sequence[Resource],
    vocabulary: SearchVocabulary,
    queries: Sequence[str],
    repeats: int = TIMING_REPEATS,
) -> Timing:
    """Build the index once, then time every query `repeats` times."""
    started = time.perf_counter()
    index = SearchIndex.build(resources, vocabulary)
    build_ms = (time.perf_counter() - started) * 1000
    for query in queries:  # warm up: the first search of a word caches its typo corrections
        index.search(query)
    samples = []
    for _ in range(repeats):
        for query in queries:
            started = time.perf_counter()
            index.search(query)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return Timing(len(resources), build_ms, statistics.median(samples), p99)


def _row(name: str, s: Scores) -> str:
    return (
        f"{name:<{NAME_WIDTH}} {s.hit1:>6.3f} {s.hit3:>6.3f} {s.mrr:>6.3f}"
        f" {s.nomatch_precision:>11.3f} {s.nomatch_recall:>10.3f}"
    )


def report_set(
    title: str,
    queries: Sequence[LabelledQuery],
    resources: Sequence[Resource],
    index: SearchIndex,
    out: TextIO,
    failures: bool,
) -> Scores:
    """Print the quality table for one query set and return our scores."""
    ours = run_ours(index, queries)
    ours_scores = score(ours)
    rows = [_row("our search", ours_scores)]
    wratio, wratio_cut = run_baseline(wratio_ranker(resources), queries)
    rows.append(_row(f"WRatio over titles (cut-off {wratio_cut:.0f})", score(wratio)))
    try:
        bm25, bm25_cut = run_baseline(bm25_ranker(resources), queries)
        rows.append(_row(f"BM25 title+summary+keywords (cut-off {bm25_cut:.2f})", score(bm25)))
    except ImportError:
        rows.append(f"{'BM25':<{NAME_WIDTH}} (install the 'bench' extra: rank-bm25)")
    print(
        f"\n{title}: {ours_scores.answerable} answerable queries, "
        f"{ours_scores.nomatch} that must get no match",
        file=out,
    )
    header = f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'no-match P':>11} {'no-match R':>10}"
    print(f"{'system':<{NAME_WIDTH}} {header}", file=out)
    for row in rows:
        print(row, file=out)
    suggested = _suggest_counts(index, queries)
    print(
        f"(our search also offered 'Did you mean' buttons for {suggested[0]} answerable queries, "
        f"{suggested[1]} with a right answer among them; no-match queries: "
        f"{suggested[2]} 'nothing matches', {suggested[3]} 'did you mean')",
        file=out,
    )
    if failures:
        _print_failures(index, ours, out)
    return ours_scores


def _suggest_counts(
    index: SearchIndex, queries: Sequence[LabelledQuery]
) -> tuple[int, int, int, int]:
    offered = rescued = none = suggest = 0
    for item in queries:
        result = index.search(item.query, limit=RESULTS_SHOWN)
        ids = {h.resource.id for h in result.hits}
        if item.expect and result.band is Band.SUGGEST:
            offered += 1
            rescued += bool(ids & set(item.expect))
        if not item.expect:
            none += result.band is Band.NONE
            suggest += result.band is Band.SUGGEST
    return offered, rescued, none, suggest


def _print_failures(index: SearchIndex, outcomes: Sequence[Outcome], out: TextIO) -> None:
    wrong = [
        o
        for o in outcomes
        if (o.item.expect and not (o.results[:1] and o.results[0] in o.item.expect))
        or (not o.item.expect and o.results)
    ]
    print(
        f"  failures (hit@1 misses and wrong answers to no-match queries): {len(wrong)}", file=out
    )
    for o in wrong:
        result = index.search(o.item.query, limit=RESULTS_SHOWN)
        got = ", ".join(f"{h.resource.id} {h.score:.2f}" for h in result.hits) or "-"
        expect = ", ".join(o.item.expect) or "no match"
        print(f"  - {o.item.query!r} [{result.band}] got: {got}\n      want: {expect}", file=out)


@contextmanager
def _thresholds(**values: float) -> Iterator[None]:
    """Temporarily change the search module's band constants (for calibration only)."""
    saved = {name: getattr(search_module, name) for name in values}
    try:
        for name, value in values.items():
            setattr(search_module, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(search_module, name, value)


def calibrate(index: SearchIndex, queries: Sequence[LabelledQuery], out: TextIO) -> None:
    """Print the score gap between right answers and no-match queries, then a threshold grid."""
    # Everything above SUGGEST_THRESHOLD is a candidate answer; the confident threshold should
    # sit in the gap between the best-scoring no-match query and the weakest right answers.
    with _thresholds(CONFIDENT_THRESHOLD=0.0, STRONG_EVIDENCE_THRESHOLD=0.0):
        tops = [(item, index.search(item.query).hits[:1]) for item in queries]
    wrong = sorted(
        (hits[0].score, item.query)
        for item, hits in tops
        if hits and (not item.expect or hits[0].resource.id not in item.expect)
    )
    right = sorted(
        (hits[0].score, item.query)
        for item, hits in tops
        if item.expect and hits and hits[0].resource.id in item.expect
    )
    print("\nScore gap (top score with the confident threshold off):", file=out)
    for label, rows in (
        ("highest wrong or no-match tops", wrong[-5:][::-1]),
        ("lowest right tops", right[:5]),
    ):
        print(f"  {label}:", file=out)
        for value, query in rows:
            print(f"    {value:.3f}  {query!r}", file=out)
    print("\nCalibration (confident threshold x minimum evidence):", file=out)
    print(
        f"{'confident':>9} {'evidence':>8} {'hit@1':>6} {'hit@3':>6} {'nm P':>5} {'nm R':>5}",
        file=out,
    )
    for confident in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
        for evidence in (0.1, 0.3, 0.5):
            with _thresholds(CONFIDENT_THRESHOLD=confident, MIN_CONFIDENT_EVIDENCE=evidence):
                s = score(run_ours(index, queries))
            print(
                f"{confident:>9.2f} {evidence:>8.2f} {s.hit1:>6.3f} {s.hit3:>6.3f}"
                f" {s.nomatch_precision:>5.2f} {s.nomatch_recall:>5.2f}",
                file=out,
            )


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Print the quality tables and timings."""
    parser = argparse.ArgumentParser(prog="python -m bench.search_quality", description=__doc__)
    parser.add_argument(
        "--queries", type=Path, action="append", help="a labelled query file (repeatable)"
    )
    parser.add_argument("--failures", action="store_true", help="list every query we get wrong")
    parser.add_argument("--calibrate", action="store_true", help="sweep the band thresholds")
    parser.add_argument("--no-timing", action="store_true", help="skip the speed measurements")
    args = parser.parse_args(argv)

    resources, vocabulary = load_catalogue()
    index = shipped_index()
    sets: dict[str, Path] = {str(p): p for p in args.queries} if args.queries else dict(QUERY_SETS)
    print(
        f"Catalogue: {len(resources)} resources, {len(vocabulary.synonyms)} synonym groups",
        file=out,
    )
    all_queries: list[LabelledQuery] = []
    for title, path in sets.items():
        queries = load_queries(path)
        all_queries += queries
        report_set(title, queries, resources, index, out, args.failures)
        if args.calibrate:
            calibrate(index, queries, out)

    if not args.no_timing:
        texts = [q.query for q in all_queries]
        shipped = time_search(resources, vocabulary, texts)
        synthetic = synthetic_catalogue(resources)
        large = time_search(synthetic, vocabulary, texts, repeats=2)
        print("\nSpeed of our search (index built once, then per query):", file=out)
        for label, t in (
            ("shipped catalogue", shipped),
            (f"synthetic, seed {SYNTHETIC_SEED}", large),
        ):
            print(
                f"  {label:<26} {t.entries:>6} entries: build {t.build_ms:8.1f} ms;"
                f" median {t.median_ms:.3f} ms, p99 {t.p99_ms:.3f} ms",
                file=out,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
