"""Measure the resource search against labelled queries, two baselines, and the clock.

Run from the repository root::

    python -m bench.search_quality               # every query set, pooled, then timing
    python -m bench.search_quality --failures    # also list every query we get wrong
    python -m bench.search_quality --calibrate   # sweep the band thresholds
    python -m bench.search_quality --queries bench/queries.yaml --no-timing

hit@1, hit@3 and MRR count our confident band only: a right "Did you mean" suggestion scores
as a miss. No-match precision and recall are shown both ways: with a suggestion counted as
"nothing matches" (the lenient view) and with it counted as an answer (the strict view: the
user was shown something, and the bot records no search gap). The baselines have no
suggestion band, so both views are the same for them.

The baselines get the benefit of the doubt: their "nothing matches" cut-off is chosen on the
very set being measured, to maximise right first answers plus honest no-matches; an off-topic
set alone would make "never answer" best, so it borrows the cut-off of its labelled set. Our
thresholds are fixed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
TUNING = "tuning set"
HELD_OUT = "held-out set (never used for tuning)"
OFF_TOPIC = "off-topic set"
OFF_TOPIC_HELD_OUT = "off-topic held-out set (never used for tuning)"
QUERY_SETS = {
    TUNING: ROOT / "bench" / "queries.yaml",
    HELD_OUT: ROOT / "bench" / "queries_holdout.yaml",
    OFF_TOPIC: ROOT / "bench" / "queries_offtopic.yaml",
    OFF_TOPIC_HELD_OUT: ROOT / "bench" / "queries_offtopic_holdout.yaml",
}
# An off-topic set has no answerable query, so a baseline tuned on it alone would never answer:
# it takes the cut-off chosen on the labelled set it belongs with.
BASELINE_CUTOFF_FROM = {OFF_TOPIC: TUNING, OFF_TOPIC_HELD_OUT: HELD_OUT}
POOLED = "all sets pooled"
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
    """Quality of one system on one query set.

    ``nomatch_*`` count a "Did you mean" suggestion as "nothing matches" (lenient);
    ``strict_nomatch_*`` count it as an answer. ``false_suggest`` and ``false_answer`` are the
    shares of no-match queries that got suggestions and a confident answer.
    """

    hit1: float
    hit3: float
    mrr: float
    nomatch_precision: float
    nomatch_recall: float
    strict_nomatch_precision: float
    strict_nomatch_recall: float
    false_suggest: float
    false_answer: float
    answerable: int
    nomatch: int


@dataclass(frozen=True)
class Outcome:
    """What a system returned for one query: answers, or (ours only) "Did you mean" ids."""

    item: LabelledQuery
    results: tuple[str, ...]
    suggested: tuple[str, ...] = ()


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
    lenient = _nomatch(outcomes, lambda o: not o.results)
    strict = _nomatch(outcomes, lambda o: not o.results and not o.suggested)
    return Scores(
        hit1=hit1 / max(1, len(answerable)),
        hit3=hit3 / max(1, len(answerable)),
        mrr=mrr / max(1, len(answerable)),
        nomatch_precision=lenient[0],
        nomatch_recall=lenient[1],
        strict_nomatch_precision=strict[0],
        strict_nomatch_recall=strict[1],
        false_suggest=sum(1 for o in nomatch if o.suggested) / max(1, len(nomatch)),
        false_answer=sum(1 for o in nomatch if o.results) / max(1, len(nomatch)),
        answerable=len(answerable),
        nomatch=len(nomatch),
    )


def _nomatch(
    outcomes: Sequence[Outcome], said_nothing: Callable[[Outcome], bool]
) -> tuple[float, float]:
    """Return no-match (precision, recall) for one reading of "the system said nothing"."""
    said_none = [o for o in outcomes if said_nothing(o)]
    right_none = sum(1 for o in said_none if not o.item.expect)
    should = sum(1 for o in outcomes if not o.item.expect)
    precision = right_none / len(said_none) if said_none else 1.0
    return precision, right_none / max(1, should)


def run_ours(index: SearchIndex, queries: Sequence[LabelledQuery]) -> list[Outcome]:
    """Answer each query with our search: confident results, and suggestions apart."""
    outcomes = []
    for item in queries:
        result = index.search(item.query, limit=RESULTS_SHOWN)
        ids = tuple(h.resource.id for h in result.hits)
        if result.band is Band.CONFIDENT:
            outcomes.append(Outcome(item, ids))
        else:
            outcomes.append(Outcome(item, (), ids if result.band is Band.SUGGEST else ()))
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


def run_baseline(
    ranker: Ranker, queries: Sequence[LabelledQuery], cutoff: float | None = None
) -> tuple[list[Outcome], float]:
    """Answer each query with a baseline at a cut-off: its best for this set unless given."""
    ranked = [ranker(item.query) for item in queries]
    if cutoff is None:
        cutoff = _best_cutoff(queries, ranked)
    outcomes = [
        Outcome(item, tuple(rid for rid, s in found if s >= cutoff and s > 0))
        for item, found in zip(queries, ranked, strict=True)
    ]
    return outcomes, cutoff


def _best_cutoff(
    queries: Sequence[LabelledQuery], ranked: Sequence[list[tuple[str, float]]]
) -> float:
    """Return the cut-off that maximises right first answers plus honest no-matches."""
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

    return max(candidates, key=lambda c: (quality(c), -c))


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
    hits = (
        f"{s.hit1:>6.3f} {s.hit3:>6.3f} {s.mrr:>6.3f}"
        if s.answerable
        else f"{'-':>6} {'-':>6} {'-':>6}"
    )
    return (
        f"{name:<{NAME_WIDTH}} {hits}"
        f" {s.nomatch_precision:>7.3f} {s.nomatch_recall:>7.3f}"
        f" {s.strict_nomatch_precision:>7.3f} {s.strict_nomatch_recall:>7.3f}"
    )


HEADER = (
    f"{'':<{NAME_WIDTH}} {'':>6} {'':>6} {'':>6} {'suggestion = none':>15}"
    f" {'suggestion = answer':>19}\n"
    f"{'system':<{NAME_WIDTH}} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}"
    f" {'nm P':>7} {'nm R':>7} {'nm P':>7} {'nm R':>7}"
)


@dataclass(frozen=True)
class SetReport:
    """Our scores on one query set and the baselines' cut-offs chosen on it."""

    ours: Scores
    cutoffs: dict[str, float]


def baselines(resources: Sequence[Resource]) -> dict[str, Ranker]:
    """Return the baselines that can run here (BM25 needs the 'bench' extra)."""
    found = {"WRatio over titles": wratio_ranker(resources)}
    with suppress(ImportError):
        found["BM25 title+summary+keywords"] = bm25_ranker(resources)
    return found


def report_set(
    title: str,
    queries: Sequence[LabelledQuery],
    resources: Sequence[Resource],
    index: SearchIndex,
    out: TextIO,
    failures: bool,
    cutoffs: dict[str, float] | None = None,
) -> SetReport:
    """Print the quality table for one query set; baselines use `cutoffs` when given."""
    ours = run_ours(index, queries)
    ours_scores = score(ours)
    rows = [_row("our search", ours_scores)]
    chosen: dict[str, float] = {}
    rankers = baselines(resources)
    for name, ranker in rankers.items():
        given = None if cutoffs is None else cutoffs.get(name)
        outcomes, cut = run_baseline(ranker, queries, given)
        chosen[name] = cut
        source = "borrowed" if given is not None else "cut-off"
        rows.append(_row(f"{name} ({source} {cut:.2f})", score(outcomes)))
    if "BM25 title+summary+keywords" not in rankers:
        rows.append(f"{'BM25':<{NAME_WIDTH}} (install the 'bench' extra: rank-bm25)")
    print(
        f"\n{title}: {ours_scores.answerable} answerable queries, "
        f"{ours_scores.nomatch} that must get no match",
        file=out,
    )
    print(HEADER, file=out)
    for row in rows:
        print(row, file=out)
    suggested = _suggest_counts(ours)
    print(
        f"(our search offered 'Did you mean' for {suggested[0]} answerable queries, "
        f"{suggested[1]} with a right answer among them; no-match queries: "
        f"{suggested[2]} 'nothing matches', {suggested[3]} 'did you mean', "
        f"{suggested[4]} answered: false-suggest rate {ours_scores.false_suggest:.3f}, "
        f"false-answer rate {ours_scores.false_answer:.3f})",
        file=out,
    )
    if failures:
        _print_failures(index, ours, out)
    return SetReport(ours_scores, chosen)


def _suggest_counts(outcomes: Sequence[Outcome]) -> tuple[int, int, int, int, int]:
    offered = rescued = none = suggest = answered = 0
    for o in outcomes:
        if o.item.expect and o.suggested:
            offered += 1
            rescued += bool(set(o.suggested) & set(o.item.expect))
        if not o.item.expect:
            none += not o.results and not o.suggested
            suggest += bool(o.suggested)
            answered += bool(o.results)
    return offered, rescued, none, suggest, answered


def _print_failures(index: SearchIndex, outcomes: Sequence[Outcome], out: TextIO) -> None:
    wrong = [
        o
        for o in outcomes
        if (o.item.expect and not (o.results[:1] and o.results[0] in o.item.expect))
        or (not o.item.expect and (o.results or o.suggested))
    ]
    print(
        f"  failures (hit@1 misses; no-match queries answered or given suggestions): {len(wrong)}",
        file=out,
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
    reports: dict[str, SetReport] = {}
    for title, path in sets.items():
        queries = load_queries(path)
        all_queries += queries
        source = BASELINE_CUTOFF_FROM.get(title)
        borrowed = reports[source].cutoffs if source in reports else None
        reports[title] = report_set(title, queries, resources, index, out, args.failures, borrowed)
        if args.calibrate:
            calibrate(index, queries, out)
    if len(sets) > 1:
        report_set(POOLED, all_queries, resources, index, out, failures=False)

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
