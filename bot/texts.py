"""The wording keys the code uses, and the names each text may fill in.

The words themselves live in ``content/texts.yaml``; the loader checks every key below is there
and uses only the names listed, so an editor's typo is caught before the bot starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

_NONE: frozenset[str] = frozenset()


def _names(*names: str) -> frozenset[str]:
    return frozenset(names)


REQUIRED_TEXTS: dict[str, frozenset[str]] = {
    "menu.welcome": _names("first_name"),
    **dict.fromkeys(
        [
            "menu.again",
            "menu.evaluate",
            "menu.resume",
            "menu.find",
            "menu.topics",
            "menu.indicators",
            "menu.outcomes",
            "menu.scale",
            "menu.results",
            "menu.privacy",
            "menu.main",
            "help.text",
            "privacy.text",
            "group.private_only",
            "group.open_private",
            "command.start",
            "command.evaluate",
            "command.resume",
            "command.results",
            "command.export",
            "command.find",
            "command.help",
            "command.cancel",
            "command.privacy",
            "eval.continue",
            "eval.start_new",
            "eval.nothing_to_resume",
            "eval.resuming",
            "eval.paused",
            "eval.stale_button",
            "eval.button_gone",
            "eval.note_saved",
            "eval.skipped",
            "eval.details_heading",
            "eval.no_details",
            "button.back",
            "button.skip",
            "button.keep",
            "button.pause",
            "button.more",
            "button.levels",
            "problem.choose-a-button",
            "problem.empty",
            "problem.cannot-skip",
            "problem.nothing-to-keep",
            "problem.nothing-to-go-back-to",
            "problem.finished",
            "summary.not_answered",
            "summary.reading_heading",
            "summary.all_good",
            "results.none",
            "results.heading",
            "results.unfinished",
            "results.not_found",
            "results.no_organisation",
            "export.none",
            "export.button",
            "search.prompt",
            "search.too_short",
            "resource.not_found",
            "resource.accessible",
            "resource.in_framework",
            "resource.share",
            "topics.heading",
            "topic.not_found",
            "indicators.heading",
            "indicator.national",
            "indicator.local",
            "outcomes.heading",
            "error.generic",
            "unknown_command",
            "unsupported_message",
        ],
        _NONE,
    ),
    "eval.in_progress": _names("organisation", "answered", "total"),
    "eval.your_answer": _names("answer"),
    "eval.answer_so_far": _names("answer"),
    "eval.note_so_far": _names("answer"),
    "rating.option": _names("value", "label"),
    "problem.too-long": _names("length", "max_length"),
    "summary.heading": _names("organisation", "date", "rated", "skipped", "total"),
    "summary.line": _names("n", "title", "answer"),
    "summary.note": _names("note"),
    "summary.reading_line": _names("title", "resources"),
    "results.item": _names("organisation", "date", "answered", "total"),
    "export.caption": _names("rows"),
    "search.results": _names("query"),
    "search.suggest": _names("query"),
    "search.none": _names("query"),
    "resource.publisher": _names("publisher"),
    "resource.publisher_year": _names("publisher", "year"),
    "resource.audience": _names("audience"),
    "resource.link": _names("url"),
    "resource.home_page": _names("title", "home_page"),
    "topic.heading": _names("label"),
    "indicator.line": _names("title", "text", "aim", "data"),
    "scale.level": _names("value", "label", "description"),
}


class Texts:
    """Look up wording by key and fill it in, escaping the values for Telegram HTML."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = dict(texts)

    def plain(self, key: str) -> str:
        """Return a text with no names to fill (button labels, fixed messages)."""
        return self._texts[key]

    def html(self, key: str, **values: object) -> str:
        """Return a text with ``values`` filled in, each escaped for Telegram HTML."""
        escaped = {k: escape(str(v), quote=False) for k, v in values.items()}
        return self._texts[key].format_map(escaped)
