"""Words explained: find the glossary's terms in what a screen says.

Pure: terms in, term positions out. The Telegram layer adds a "Words explained" button to a
screen that uses any of them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import Indel

from bot.content_model import Term

MAX_TERMS_PER_SCREEN = 8  # a longer list would be a screen of its own, not a quick help
LOOKUP_RATIO = 0.86  # how close a typed word must be to a term to count as asking about it
# Screens seen recently: most are the same question texts again and again, so each is searched
# for terms once (a bounded cache, as typed names make some screens one of a kind).
SCREENS_REMEMBERED = 1024
LONGEST_ASKED = 40  # longer text is a search, not a question about one word
# Words around a term in a question about its meaning: "what does X mean", "define X".
_ASKING = frozenset(
    {"what", "whats", "what's", "is", "are", "does", "do", "mean", "means", "meaning"}
    | {"of", "define", "the", "a", "an", "by", "word"}
)
_TAG = re.compile(r"<[^>]+>")


def visible(text: str) -> str:
    """Return what a person sees of Telegram HTML: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


class Glossary:
    """The glossary's terms and a matcher for each, in the order content lists them."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = tuple(terms)
        self._patterns = [_pattern(term) for term in self.terms]
        # Each form cut to its bare words once, not on every search.
        self._forms = [
            (n, _bare(form))
            for n, term in enumerate(self.terms)
            for form in (term.term, *term.also)
        ]
        self._used_in = lru_cache(maxsize=SCREENS_REMEMBERED)(self._find_terms)

    def used_in(self, text: str) -> tuple[int, ...]:
        """Return the positions of the terms a text uses, at most MAX_TERMS_PER_SCREEN."""
        return self._used_in(text)

    def _find_terms(self, text: str) -> tuple[int, ...]:
        shown = visible(text)
        found = [n for n, pattern in enumerate(self._patterns) if pattern.search(shown)]
        return tuple(found[:MAX_TERMS_PER_SCREEN])

    def asked_about(self, question: str) -> int | None:
        """Return the term a question asks the meaning of ("what does strenghts based mean")."""
        wanted = _bare(question)
        if not wanted or len(wanted) > LONGEST_ASKED:
            return None
        best, best_ratio = None, LOOKUP_RATIO
        for n, form in self._forms:
            # The share of characters in common forgives a typo or two: "strenghts based" is
            # "strengths-based". rapidfuzz works it out in C and gives up early below the cutoff.
            ratio = Indel.normalized_similarity(wanted, form, score_cutoff=best_ratio)
            if ratio >= best_ratio:
                best, best_ratio = n, ratio
        return best

    def at(self, positions: Sequence[int]) -> list[Term]:
        """Return the terms at these positions, skipping any that do not exist."""
        return [self.terms[n] for n in positions if 0 <= n < len(self.terms)]


def _bare(text: str) -> str:
    """Return a question cut to the words it asks about: no "what does", "mean", punctuation."""
    words = re.sub(r"[^\w&]+", " ", text.casefold()).split()
    while words and words[0] in _ASKING:
        words = words[1:]
    while words and words[-1] in _ASKING:
        words = words[:-1]
    return " ".join(words)


def _pattern(term: Term) -> re.Pattern[str]:
    forms = sorted({term.term, *term.also}, key=len, reverse=True)
    alternatives = "|".join(re.escape(form) for form in forms if form.strip())
    # Not inside a longer word: "care" is not found in "career"; "LD&A" still matches.
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
