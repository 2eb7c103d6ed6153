"""Find catalogue resources for short, misspelt, everyday questions.

Pure: a query and the catalogue in, ranked results in one of three honest bands out.

How a query is read:

1. Normalise with rapidfuzz's ``default_process`` (lower case, punctuation to spaces) and split
   into words; reduce each word to a light stem (plurals, -ing, -ed, a final -e).
2. Correct each word the catalogue does not know against the catalogue's own vocabulary, with
   typo allowances by length as Meilisearch and Typesense do (none under 4 letters, one from 4,
   two from 8; a wrong first letter costs an extra typo), plus prefix completion for longer
   words ("physio" -> "physiotherapists"). Stop words are never corrected.
3. Find synonym phrases (a phrase inside a longer one does not count on its own), so "speech
   and language therapy" or "what my care is worth" stay one idea; then drop stop words and
   chat filler. Every other word is an idea of its own, expanded to its synonym groups.

How an entry is scored: each idea in the query earns its rarity (an IDF-like weight, so "staff"
counts for little and "apprenticeship" for a lot) times the weight of the best field it appears
in (title and keywords above summary). The score is the share of the query's total weight that
the entry covers; words the catalogue does not know add to the total and so count against every
entry. A small bonus for covering the entry's own title breaks ties between close entries.

Bands: a high enough score answers; a middling one offers "Did you mean", unless the query has
words found in no entry and what it shares with the catalogue is only everyday words ("plan a
holiday"), which gets an honest "nothing matches" instead.
"""

from __future__ import annotations

import heapq
import math
import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from operator import itemgetter

from rapidfuzz import process
from rapidfuzz.distance import OSA
from rapidfuzz.utils import default_process

from bot.content_model import Resource, SearchVocabulary

# --- Named constants: the whole behaviour of the search is tuned here ------------------------

PROCESSOR = default_process  # lower-cases and turns punctuation into spaces
TYPO_SCORER = OSA  # Levenshtein plus adjacent transpositions ("recuritment" is one typo)

# Weight of a match by the field it is in. Title and keywords are what an entry is *about*;
# the summary mentions many things in passing.
TITLE_WEIGHT = 1.0
FIELD_WEIGHTS: dict[str, float] = {
    "title": TITLE_WEIGHT,
    "keywords": 0.95,
    "publisher": 0.6,
    "topics": 0.6,
    "summary": 0.5,
    "audience": 0.4,
}

# Typo allowances by word length (Meilisearch / Typesense style).
MIN_LEN_ONE_TYPO = 4
MIN_LEN_TWO_TYPOS = 8
FIRST_LETTER_TYPO_COST = 1  # extra cost when the first letter differs: people rarely miss it
MAX_CORRECTIONS = 4  # alternatives kept for one misspelt word
MIN_PREFIX_LEN = 4  # "phys" completes, "ph" does not
MAX_PREFIX_COMPLETIONS = 8
# How much a corrected or completed word is worth next to one typed correctly.
TYPO_FACTORS: dict[int, float] = {1: 0.85, 2: 0.7}
PREFIX_FACTOR = 0.9

# A word the catalogue does not know weighs this much (on the 0..1 rarity scale) in the total
# the score is a share of: "pizza" makes every entry a worse answer to "pizza training". A word
# in no entry is at least as rare as the rarest word in one, hence the maximum.
UNKNOWN_WORD_WEIGHT = 1.0
MIN_RARITY = 0.05  # even a word in every entry carries a little meaning

TITLE_BONUS = 0.06  # share of the score that rewards covering the entry's own title

# Bands (calibrated with `python -m bench.search_quality --calibrate`: on the tuning set no
# no-match query tops 0.40 and no right answer falls below 0.53; off-topic probes such as
# "plan a wedding" reach 0.45, so the line sits at the cautious end of that gap).
CONFIDENT_THRESHOLD = 0.5  # top score needed to answer
MIN_CONFIDENT_EVIDENCE = 0.3  # and the rarity it matched: "staff" alone is too vague to answer
# A long question that matches a lot of rare words is answered even when some of its words
# match nothing ("im a commissioner, how do i plan staff numbers for our new service").
STRONG_EVIDENCE = 1.2
STRONG_EVIDENCE_THRESHOLD = 0.4
SUGGEST_THRESHOLD = 0.3  # below this: nothing matches
# "Did you mean" is for a query the catalogue understands but too vaguely to answer ("staff"),
# or one with a stray word around a real topic ("safe staffing in leeds"); not for one that
# shares only an everyday word with it: in "plan a holiday" or "pizza delivery near me" the
# shared word means nothing special and the rest says the question is about something else.
# So when more than this share of a query's ideas is found in no entry (unknown words, and
# known topics the catalogue does not cover), a suggestion must match at least one idea that
# is not an everyday word; otherwise the honest answer is "nothing matches", which the bot
# records as a search gap. Measured on the off-topic sets (`python -m bench.search_quality`).
MAX_UNMATCHED_SHARE_TO_SUGGEST = 0.0
# Everyday English words the catalogue also uses: rare in the catalogue (so weighty by rarity)
# but no sign on their own that a question is about the care and support workforce. Compared
# by stem with a single typed (or typo-corrected) word; a synonym phrase ("workforce plan",
# "care worker") is never everyday.
EVERYDAY_WORDS = frozenset(
    (
        "care", "caring", "staff", "support", "training", "train", "course", "plan", "planning",
        "value", "delivery", "deliver", "data", "job", "role", "model", "service", "team",
        "work", "worker", "working", "people", "person", "health", "cost", "money", "save",
        "saving", "spend", "pay", "number", "tool", "report", "review", "study", "paper",
        "guide", "guidance", "local", "area", "community", "home", "life", "level", "real",
        "success", "secret", "sight", "route", "flexible", "young", "children", "kids", "keep",
        "keeping", "finding", "future", "development", "example", "figures", "price",
        "calculate", "estimate", "compare", "benchmark", "framework", "template", "skill",
        "booklet", "leaflet", "manager", "employer", "provider", "position", "career",
        "capacity", "transition", "modelling", "complex", "needs", "enabling", "specialist",
        "accessible", "approach", "group",
    )
)  # fmt: skip
RELATIVE_FLOOR = 0.5  # confident results also list entries within this share of the best
SUGGEST_LIMIT = 3  # "Did you mean" buttons

# Bound the work on pasted essays: a query is a question, not a document.
MAX_QUERY_CHARS = 1000
MAX_QUERY_WORDS = 60

_GROUP_PREFIX = "\x00g"  # index keys for synonym groups; cannot collide with a processed word
_STOP = "\x00stop"
_UNDOUBLE_EXEMPT = frozenset("fsz")  # "staffing" -> "staff", not "staf"
_VOWELS = frozenset("aeiouy")
_DIGITS = re.compile(r"^\d+$")


class Band(StrEnum):
    """How sure the search is about its answer."""

    CONFIDENT = "confident"
    SUGGEST = "suggest"
    NONE = "none"


@dataclass(frozen=True)
class Hit:
    """One resource found, with a score from 0 to 1."""

    resource: Resource
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query."""

    query: str
    band: Band
    hits: tuple[Hit, ...]  # confident: the results; suggest: "did you mean" candidates; none: ()
    terms: tuple[str, ...] = ()  # meaningful normalised words of the query (stop words dropped)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce a processed word to a light stem (plurals, -ing, -ed, a final -e)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    # No -ment rule: it makes "statement" into "stat" (statistics) and "department" "depart".
    if w.endswith("ing") and len(w) >= 7 and _VOWELS.intersection(w[:-3]):
        w = _undouble(w[:-3])
    elif w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ed") and not w.endswith("eed") and len(w) >= 6:
        w = _undouble(w[:-2])
    if w.endswith("e") and not w.endswith("ee") and len(w) >= 5:
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    """Drop a doubled final consonant left by a removed ending ("planning" -> "plan")."""
    if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in _VOWELS:
        # "modelling" -> "model" but "skilled" -> "skill": only long -ll stems were doubled.
        if w[-1] == "l":
            return w[:-1] if len(w) >= 6 else w
        if w[-1] not in _UNDOUBLE_EXEMPT:
            return w[:-1]
    return w


@dataclass(frozen=True)
class _Segment:
    """A run of query words that forms one idea (a word or a synonym phrase), or filler."""

    start: int  # position of the first word in the query
    words: tuple[str, ...]
    stems: tuple[str, ...]
    groups: tuple[str, ...]  # synonym group keys this idea belongs to
    phrase: bool  # a multi-word synonym phrase (its words are not separate ideas)
    stop: bool


@dataclass(frozen=True)
class _Correction:
    """What a word the catalogue does not know may have meant."""

    alternatives: tuple[tuple[str, float], ...]  # (index key, factor) for every candidate
    best: tuple[str, float] | None  # the one clear best spelling and its factor, if there is one


@dataclass(frozen=True)
class _Concept:
    """One idea of the query, as the index keys that match it and what each match is worth."""

    alternatives: tuple[tuple[str, float], ...]  # (index key, factor)
    everyday: bool = False  # a single everyday word (EVERYDAY_WORDS): no sign of the domain


class _Analyser:
    """Reads text the same way for entries and queries: words, stems, phrases, stop words."""

    def __init__(self, vocabulary: SearchVocabulary) -> None:
        stop_stems: set[str] = set()
        phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        single_groups: dict[str, list[str]] = {}
        self.synonym_stems: set[str] = set()
        self.synonym_words: set[str] = set()
        for entry in vocabulary.stop_words:
            stems = tuple(stem(w) for w in _words(entry))
            if len(stems) == 1:
                stop_stems.add(stems[0])
            elif stems:
                phrases[stems] = (_STOP,)
        for number, group in enumerate(vocabulary.synonyms):
            key = f"{_GROUP_PREFIX}{number}"
            for member in group:
                words = _words(member)
                stems = tuple(stem(w) for w in words)
                if not stems:
                    continue
                self.synonym_stems.update(stems)
                self.synonym_words.update(words)
                if len(stems) == 1:
                    if key not in single_groups.setdefault(stems[0], []):
                        single_groups[stems[0]].append(key)
                else:
                    existing = phrases.get(stems, ())
                    if existing != (_STOP,) and key not in existing:
                        phrases[stems] = (*existing, key)
        # A word listed both as filler and in a synonym group means something: keep it.
        stop_stems.difference_update(single_groups)
        self.stop_stems = frozenset(stop_stems)
        self.everyday_stems = frozenset(stem(w) for w in EVERYDAY_WORDS)
        self.phrases = phrases
        self.max_phrase = max((len(p) for p in phrases), default=1)
        self.single_groups = {s: tuple(g) for s, g in single_groups.items()}

    def is_stop(self, word: str, word_stem: str) -> bool:
        """Return True for a stop word or a stray single letter."""
        return word_stem in self.stop_stems or (len(word) == 1 and not word.isdigit())

    def segments(self, words: Sequence[str]) -> list[_Segment]:
        """Split query words into ideas: synonym phrases, single words, stop words.

        Every phrase found counts unless a longer one contains it, and phrases may overlap:
        in "care staff leaving" both "care staff" and "staff leaving" are ideas, where a
        greedy left-to-right reading would keep "care staff" and lose "leaving".
        """
        stems = [stem(w) for w in words]
        n = len(words)
        found: list[tuple[int, int, tuple[str, ...]]] = []  # (start, end, groups)
        for i in range(n - 1):
            for length in range(2, min(self.max_phrase, n - i) + 1):
                groups = self.phrases.get(tuple(stems[i : i + length]))
                if groups is not None:
                    found.append((i, i + length, groups))
        maximal = [
            (start, end, groups)
            for start, end, groups in found
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in found)
        ]
        covered = {i for start, end, _ in maximal for i in range(start, end)}
        segments: list[tuple[int, _Segment]] = []
        for start, end, groups in maximal:
            is_stop = groups == (_STOP,)
            segment = _Segment(
                start=start,
                words=tuple(words[start:end]),
                stems=tuple(stems[start:end]),
                groups=() if is_stop else groups,
                phrase=True,
                stop=is_stop,
            )
            segments.append((start, segment))
        for i in range(n):
            if i in covered:
                continue
            segment = _Segment(
                start=i,
                words=(words[i],),
                stems=(stems[i],),
                groups=self.single_groups.get(stems[i], ()),
                phrase=False,
                stop=self.is_stop(words[i], stems[i]),
            )
            segments.append((i, segment))
        segments.sort(key=lambda pair: pair[0])
        return [segment for _, segment in segments]

    def field_keys(self, words: Sequence[str]) -> set[str]:
        """Return the index keys of one piece of an entry's text."""
        stems = [stem(w) for w in words]
        keys: set[str] = set()
        for word, word_stem in zip(words, stems, strict=True):
            # Every word counts on its own too: "unpaid carer" is found by "unpaid".
            if not self.is_stop(word, word_stem):
                keys.add(word_stem)
                keys.update(self.single_groups.get(word_stem, ()))
        # Unlike a query, an entry is not read greedily: every phrase at every position counts,
        # so "adult social care workforce" is both "adult social care" and "care workforce".
        for i in range(len(stems) - 1):
            for length in range(2, min(self.max_phrase, len(stems) - i) + 1):
                groups = self.phrases.get(tuple(stems[i : i + length]))
                if groups is not None and groups != (_STOP,):
                    keys.update(groups)
        return keys


class SearchIndex:
    """An inverted index over the catalogue, built once and searched many times."""

    def __init__(
        self,
        resources: tuple[Resource, ...],
        analyser: _Analyser,
        postings: dict[str, dict[int, float]],
        title_postings: dict[str, frozenset[int]],
        title_sizes: tuple[int, ...],
        known_stems: frozenset[str],
        vocabulary: tuple[str, ...],
    ) -> None:
        self._resources = resources
        self._analyser = analyser
        self._postings = postings
        self._title_postings = title_postings
        self._title_sizes = title_sizes
        self._known_stems = known_stems
        self._vocabulary = vocabulary  # sorted: prefix search by bisection
        self._n = len(resources)
        self._rarity_scale = self._raw_rarity(1.0) or 1.0
        self._wdf = {key: sum(docs.values()) for key, docs in postings.items()}
        self._corrections: dict[str, _Correction] = {}
        by_topic: dict[str, list[Resource]] = {}
        for resource in resources:
            for topic in resource.topics:
                by_topic.setdefault(topic, []).append(resource)
        self._by_topic = {topic: tuple(found) for topic, found in by_topic.items()}

    @classmethod
    def build(cls, resources: Sequence[Resource], vocabulary: SearchVocabulary) -> SearchIndex:
        """Precompute everything a search needs from the catalogue and its vocabulary."""
        analyser = _Analyser(vocabulary)
        postings: dict[str, dict[int, float]] = {}
        title_postings: dict[str, set[int]] = {}
        title_sizes: list[int] = []
        known_stems = set(analyser.synonym_stems)
        surface = set(analyser.synonym_words)
        for doc, resource in enumerate(resources):
            title_keys: set[str] = set()
            for field_name, text in _fields(resource):
                weight = FIELD_WEIGHTS[field_name]
                words = _words(text)
                surface.update(words)
                keys = analyser.field_keys(words)
                if field_name == "title":
                    title_keys |= keys
                for key in keys:
                    docs = postings.setdefault(key, {})
                    if docs.get(doc, 0.0) < weight:
                        docs[doc] = weight
            for key in title_keys:
                title_postings.setdefault(key, set()).add(doc)
            title_sizes.append(max(1, sum(1 for k in title_keys if k[0] != _GROUP_PREFIX[0])))
        known_stems.update(k for k in postings if k[0] != _GROUP_PREFIX[0])
        # Correct typos only towards words that mean something: long enough, not filler.
        vocabulary_words = sorted(
            w for w in surface if len(w) >= 3 and not analyser.is_stop(w, stem(w))
        )
        return cls(
            resources=tuple(resources),
            analyser=analyser,
            postings=postings,
            title_postings={k: frozenset(v) for k, v in title_postings.items()},
            title_sizes=tuple(title_sizes),
            known_stems=frozenset(known_stems),
            vocabulary=tuple(vocabulary_words),
        )

    # --- Searching --------------------------------------------------------------------------

    def by_topic(self, topic_id: str) -> tuple[Resource, ...]:
        """Return the resources filed under a topic, in catalogue order."""
        return self._by_topic.get(topic_id, ())

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank the catalogue against a query and say how sure we are."""
        words = _words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]
        concepts, unknown, terms = self._understand(words)
        nothing = SearchResult(query=query, band=Band.NONE, hits=(), terms=terms)
        if not concepts or limit <= 0:
            return nothing

        total = UNKNOWN_WORD_WEIGHT * unknown
        unmatched = unknown  # ideas found in no entry
        matched: list[tuple[float, dict[int, float], _Concept]] = []
        for concept in concepts:
            docs = self._match(concept)
            if not docs:
                total += UNKNOWN_WORD_WEIGHT  # known to the vocabulary, but in no entry
                unmatched += 1
                continue
            rarity = self._rarity(concept, docs)
            total += rarity
            matched.append((rarity, docs, concept))
        if not matched:
            return nothing
        scale = (1.0 - TITLE_BONUS) / total  # final score = scale * raw + title bonus

        # The commonest concepts ("staff", "care") are added only to entries that match
        # something rarer: an entry matching nothing but them, even in its title, could not
        # reach the suggest threshold, so skipping it changes no answer and saves most of the
        # work on a large catalogue.
        matched.sort(key=lambda m: m[0])
        common = 0
        common_mass = 0.0
        while (
            common < len(matched) - 1
            and scale * (common_mass + matched[common][0]) + TITLE_BONUS < SUGGEST_THRESHOLD
        ):
            common_mass += matched[common][0]
            common += 1

        raw: dict[int, float] = {}
        title_hits: dict[int, int] = {}
        for rarity, docs, concept in matched[common:]:
            if not raw:
                raw = {doc: rarity * weight for doc, weight in docs.items()}
            else:
                for doc, weight in docs.items():
                    raw[doc] = raw.get(doc, 0.0) + rarity * weight
            for doc in self._title_docs(concept):
                title_hits[doc] = title_hits.get(doc, 0) + 1
        for rarity, docs, concept in matched[:common]:
            for doc in raw:
                extra = docs.get(doc)
                if extra is not None:
                    raw[doc] += rarity * extra
            titled = self._title_docs(concept)
            for doc in raw if len(raw) < len(titled) else titled:
                if doc in titled and doc in raw:
                    title_hits[doc] = title_hits.get(doc, 0) + 1

        # Fold the title bonus into the raw scores so ranking is one C-speed pass.
        ranking = dict(raw)
        bonus = TITLE_BONUS / scale
        sizes = self._title_sizes
        for doc, count in title_hits.items():
            ranking[doc] += bonus * min(1.0, count / sizes[doc])
        top = heapq.nlargest(max(limit, SUGGEST_LIMIT), ranking.items(), key=itemgetter(1))
        top.sort(key=lambda pair: (-pair[1], pair[0]))  # ties: catalogue order
        best = scale * top[0][1]
        evidence = raw[top[0][0]]
        if (best >= CONFIDENT_THRESHOLD and evidence >= MIN_CONFIDENT_EVIDENCE) or (
            best >= STRONG_EVIDENCE_THRESHOLD and evidence >= STRONG_EVIDENCE
        ):
            floor = max(SUGGEST_THRESHOLD, best * RELATIVE_FLOOR)
            band = Band.CONFIDENT
            shown = top[:limit]
        elif best >= SUGGEST_THRESHOLD and (
            unmatched <= MAX_UNMATCHED_SHARE_TO_SUGGEST * (unmatched + len(matched))
            or any(not c.everyday and top[0][0] in docs for _, docs, c in matched)
        ):
            floor = SUGGEST_THRESHOLD
            band = Band.SUGGEST
            shown = top[: min(limit, SUGGEST_LIMIT)]
        else:
            return nothing
        hits = tuple(
            Hit(self._resources[doc], round(min(1.0, scale * value), 4))
            for doc, value in shown
            if scale * value >= floor
        )
        return SearchResult(query=query, band=band, hits=hits, terms=terms)

    def _understand(self, words: list[str]) -> tuple[list[_Concept], int, tuple[str, ...]]:
        """Turn query words into concepts, a count of unknown words, and the meaningful terms."""
        # Correct typos before looking for phrases, so "skils for care" is still the phrase
        # "skills for care"; a phrase with a corrected word is worth what its worst word is.
        corrections: dict[int, _Correction] = {}
        read = list(words)
        factors = [1.0] * len(words)
        analyser = self._analyser
        for i, word in enumerate(words):
            word_stem = stem(word)
            # Never "correct" filler: "like" is one letter from "life" (Life Stage Service).
            if word_stem in self._known_stems or analyser.is_stop(word, word_stem):
                continue
            if _DIGITS.match(word):
                continue
            correction = self._correct(word)
            corrections[i] = correction
            if correction.best is not None:
                read[i], factors[i] = correction.best

        concepts: list[_Concept] = []
        seen: set[tuple[str, ...]] = set()
        terms: dict[str, None] = {}
        unknown = 0
        for seg in analyser.segments(read):
            if seg.stop:
                continue
            typed = words[seg.start : seg.start + len(seg.words)]
            if seg.phrase:  # "look after", "part time": meaningful together, even if filler
                meaningful = [w for w in typed if len(w) > 1]
            else:
                meaningful = [w for w in typed if not analyser.is_stop(w, stem(w))]
            terms.update((w, None) for w in meaningful)
            alternatives: tuple[tuple[str, float], ...]
            if seg.phrase:
                identity = seg.groups
                factor = min(factors[seg.start : seg.start + len(seg.words)])
                alternatives = tuple((g, factor) for g in seg.groups)
            elif seg.start in corrections:
                alternatives = corrections[seg.start].alternatives
                if not alternatives:
                    unknown += 1
                    continue
                identity = tuple(sorted(k for k, _ in alternatives))
            elif _DIGITS.match(seg.words[0]) and seg.stems[0] not in self._known_stems:
                # Numbers are ages and years more often than topics: not evidence against an
                # entry, so an unknown number neither helps nor hurts.
                continue
            else:
                identity = seg.groups or seg.stems
                # An entry with the word always carries its groups too, so the groups alone
                # find the same entries (one key is the fast path in _match).
                keys = seg.groups or seg.stems
                alternatives = tuple((key, 1.0) for key in keys)
            if identity in seen:
                continue
            seen.add(identity)
            everyday = not seg.phrase and stem(read[seg.start]) in analyser.everyday_stems
            concepts.append(_Concept(alternatives, everyday))
        return concepts, unknown, tuple(terms)

    def _correct(self, word: str) -> _Correction:
        """Work out what a word the catalogue does not know may have meant."""
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        best: tuple[str, float] | None = None
        allowed = _typo_allowance(len(word))
        if allowed:
            candidates = process.extract(
                word,
                self._vocabulary,
                scorer=TYPO_SCORER.distance,
                processor=None,
                score_cutoff=allowed,
                limit=None,
            )
            costed = sorted(
                (distance + (FIRST_LETTER_TYPO_COST if cand[0] != word[0] else 0), cand)
                for cand, distance, _ in candidates
            )
            costed = [(cost, cand) for cost, cand in costed if 0 < cost <= allowed]
            if costed:
                best_cost = costed[0][0]
                closest = [cand for cost, cand in costed if cost == best_cost]
                for cand in closest[:MAX_CORRECTIONS]:
                    self._add_keys(found, cand, TYPO_FACTORS[best_cost])
                if len({stem(c) for c in closest}) == 1:
                    best = (closest[0], TYPO_FACTORS[best_cost])
        if len(word) >= MIN_PREFIX_LEN:
            start = bisect_left(self._vocabulary, word)
            completions: list[str] = []
            for cand in self._vocabulary[start:]:
                if not cand.startswith(word):
                    break
                completions.append(cand)
            completions.sort(key=len)
            for cand in completions[:MAX_PREFIX_COMPLETIONS]:
                self._add_keys(found, cand, PREFIX_FACTOR)
        result = _Correction(tuple(found.items()), best)
        if len(self._corrections) < 50_000:  # bounded: queries are user input
            self._corrections[word] = result
        return result

    def _add_keys(self, found: dict[str, float], word: str, factor: float) -> None:
        """Record the index keys of a corrected word at a reduced factor."""
        word_stem = stem(word)
        for key in (word_stem, *self._analyser.single_groups.get(word_stem, ())):
            if factor > found.get(key, 0.0):
                found[key] = factor

    def _match(self, concept: _Concept) -> dict[int, float]:
        """Return each entry matching a concept with the weight of its best match."""
        alternatives = concept.alternatives
        if len(alternatives) == 1 and alternatives[0][1] == 1.0:
            return self._postings.get(alternatives[0][0], {})
        merged: dict[int, float] = {}
        for key, factor in alternatives:
            docs = self._postings.get(key)
            if not docs:
                continue
            if not merged and factor == 1.0:
                merged = dict(docs)
                continue
            for doc, weight in docs.items():
                value = weight * factor
                if value > merged.get(doc, 0.0):
                    merged[doc] = value
        return merged

    def _title_docs(self, concept: _Concept) -> Collection[int]:
        """Return the entries whose title contains the concept."""
        if len(concept.alternatives) == 1:
            return self._title_postings.get(concept.alternatives[0][0], ())
        docs: set[int] = set()
        for key, _ in concept.alternatives:
            docs.update(self._title_postings.get(key, ()))
        return docs

    def _rarity(self, concept: _Concept, docs: dict[int, float]) -> float:
        """Return how much a concept tells entries apart, from MIN_RARITY to 1."""
        alternatives = concept.alternatives
        if len(alternatives) == 1:
            wdf = self._wdf.get(alternatives[0][0], 0.0)
        else:
            wdf = sum(docs.values())
        return max(MIN_RARITY, min(1.0, self._raw_rarity(wdf) / self._rarity_scale))

    def _raw_rarity(self, weighted_df: float) -> float:
        """Return a BM25-style IDF for a field-weighted document frequency."""
        n = self._n
        return math.log(1.0 + (n - weighted_df + 0.5) / (weighted_df + 0.5))


def _words(text: str) -> list[str]:
    """Normalise text and split it into words."""
    return PROCESSOR(text).split()


def _typo_allowance(length: int) -> int:
    """Return how many typos a word of this length may have."""
    if length >= MIN_LEN_TWO_TYPOS:
        return 2
    if length >= MIN_LEN_ONE_TYPO:
        return 1
    return 0


def _fields(resource: Resource) -> Iterable[tuple[str, str]]:
    """Yield the searchable text of an entry, piece by piece, with its field name."""
    # Keywords, topics and audience are separate pieces so a phrase never spans two of them.
    yield "title", resource.title
    for keyword in resource.keywords:
        yield "keywords", keyword
    yield "publisher", resource.publisher
    if resource.year is not None:
        yield "publisher", str(resource.year)
    for topic in resource.topics:
        yield "topics", topic.replace("-", " ")
    yield "summary", resource.summary
    for audience in resource.audience:
        yield "audience", audience
