"""Button data: small prefixed strings with stable ids, parsed strictly.

Callback data comes back from the user's device, so it is never trusted: anything that does not
parse exactly is treated as a forged or outdated button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit on callback data

MENU_ITEMS = frozenset(
    {
        "evaluate",
        "new",
        "resume",
        "find",
        "topics",
        "indicators",
        "outcomes",
        "scale",
        "results",
        "privacy",
        "main",
        "export",
        "team",
        "newround",
        "joincode",
        "words",
        "about",
        "aboutvoice",
        "reading",
        "forget",
        "forgetyes",
    }
)
EVAL_ACTIONS = frozenset({"back", "skip", "keep", "pause", "more", "levels"})

_ID = r"[a-z0-9][a-z0-9-]{0,47}"
_MENU = re.compile(r"^m:([a-z]{1,12})$")
_EVAL = re.compile(r"^e:(\d{1,10}):(\d{1,7}):(?:o\.([a-z0-9][a-z0-9-]{0,15})|([a-z]{1,8}))$")
# A resource card remembers where it was opened from: a topic (t.ID) or a question (q).
_RESOURCE = re.compile(rf"^r:({_ID})(?::(q|t\.{_ID}|s\.\d{{1,10}}))?$")
_TOPIC = re.compile(rf"^t:({_ID})$")
_INDICATORS = re.compile(rf"^i:({_ID})(?::(\d{{1,2}}))?$")
_OUTCOMES = re.compile(r"^o:(\d{1,2})$")
_RESULTS = re.compile(r"^v:(\d{1,10})(?::(reading|notes)(?::(\d{1,2}))?)?$")
_TEAM = re.compile(r"^g:(\d{1,10}):([a-z]{1,10})(?::(\d{1,3})(?:\.([1-5]))?)?$")
_SETUP = re.compile(r"^n:([a-z]{1,10})(?::(\d{1,3}))?$")
_CONTINUE = re.compile(r"^c:(\d{1,10})$")
_LEVEL = re.compile(rf"^s:({_ID}):([1-5])$")
_WORDS = re.compile(r"^w:(\d{1,3}(?:\.\d{1,3}){0,7})$")

# What a button under a team round can ask for; the handler re-checks the role for each.
TEAM_ACTIONS = frozenset(
    {
        "open",  # the round screen
        "rate",  # start or continue my own rating in the round
        "mine",  # my own answers in the round
        "results",  # the team's results (organisers)
        "chart",  # the chart as a picture (organisers)
        "remind",  # remind those still rating (organisers)
        "agree",  # the list of statements to agree (organisers)
        "agreeone",  # one statement: choose the agreed level (index)
        "setagreed",  # record an agreed level (index.level)
        "unagree",  # clear an agreed rating (index)
        "noreason",  # agree without giving a reason (index)
        "share",  # share the aggregate results with the team (asks first if some still rate)
        "shareyes",
        "unshare",
        "link",  # show the join link and code
        "renew",  # ask before replacing the join link
        "renewyes",
        "coorg",  # a one-time co-organiser link
        "close",  # ask before closing the round
        "closeyes",
        "reopen",
        "export",  # ratings CSV, summary CSV and chart (organisers)
        "team",  # the shared aggregate (participants, once shared)
        "stoprem",  # stop reminders for this round
        "startrem",
        "myname",  # join with the Telegram first name as the name the team sees
        "easy",  # switch easy read on or off while joining
    }
)
SETUP_ACTIONS = frozenset({"org", "name", "toggle", "all", "create", "myname", "cancel"})


@dataclass(frozen=True)
class MenuPress:
    """A main-menu button."""

    item: str


@dataclass(frozen=True)
class EvaluationPress:
    """A button under an evaluation question, tied to the evaluation and the move it was for."""

    evaluation_id: int
    turn: int
    option_id: str | None = None  # an answer option, or
    action: str | None = None  # back, skip, keep, pause, more or levels


@dataclass(frozen=True)
class ResourcePress:
    """Open a resource from the catalogue."""

    resource_id: str
    topic_id: str | None = None  # opened from this topic: offer the way back to it
    from_question: bool = False  # opened under a question: put the question back after it
    reading_of: int | None = None  # opened from an evaluation's reading: offer the way back


@dataclass(frozen=True)
class TopicPress:
    """Open a topic of the catalogue."""

    topic_id: str


@dataclass(frozen=True)
class IndicatorsPress:
    """Open a group of performance indicators, at one of its pages."""

    group_id: str
    page: int = 0


@dataclass(frozen=True)
class OutcomesPress:
    """Open a page of the expected outcomes."""

    page: int


@dataclass(frozen=True)
class ResultsPress:
    """Open one of the user's evaluations: its summary, its reading or a page of its notes."""

    evaluation_id: int
    part: str | None = None  # "reading" or "notes"; None for the summary
    page: int = 0


@dataclass(frozen=True)
class TeamPress:
    """A button about a team round: the round's id, an action, maybe a statement and level."""

    round_id: int
    action: str
    index: int | None = None  # a statement's place in the round
    level: int | None = None  # a rating level, 1 to 5


@dataclass(frozen=True)
class SetupPress:
    """A button while starting a new round (the choices so far are kept in the store)."""

    action: str
    index: int | None = None


@dataclass(frozen=True)
class LevelPress:
    """Tell me more about one level of a scale."""

    scale_id: str
    value: int


@dataclass(frozen=True)
class WordsPress:
    """Explain some glossary terms, by their places in the glossary."""

    positions: tuple[int, ...]


@dataclass(frozen=True)
class ContinuePress:
    """Continue one of the person's unfinished evaluations."""

    evaluation_id: int


Press = (
    MenuPress
    | EvaluationPress
    | ResourcePress
    | TopicPress
    | IndicatorsPress
    | OutcomesPress
    | ResultsPress
    | TeamPress
    | SetupPress
    | ContinuePress
    | WordsPress
    | LevelPress
)


def menu(item: str) -> str:
    """Encode a main-menu button."""
    assert item in MENU_ITEMS, item
    return f"m:{item}"


def evaluation_option(evaluation_id: int, turn: int, option_id: str) -> str:
    """Encode an answer button for a question."""
    return _checked(f"e:{evaluation_id}:{turn}:o.{option_id}")


def evaluation_action(evaluation_id: int, turn: int, action: str) -> str:
    """Encode a Back, Skip, Keep, Pause, More detail or levels button."""
    assert action in EVAL_ACTIONS, action
    return _checked(f"e:{evaluation_id}:{turn}:{action}")


def resource(
    resource_id: str,
    *,
    topic_id: str | None = None,
    question: bool = False,
    reading_of: int | None = None,
) -> str:
    """Encode a button that opens a resource, remembering where it was opened from."""
    if topic_id is not None:
        return _checked(f"r:{resource_id}:t.{topic_id}")
    if reading_of is not None:
        return _checked(f"r:{resource_id}:s.{reading_of}")
    return _checked(f"r:{resource_id}:q" if question else f"r:{resource_id}")


def topic(topic_id: str) -> str:
    """Encode a button that opens a topic."""
    return _checked(f"t:{topic_id}")


def indicators(group_id: str, page: int = 0) -> str:
    """Encode a button that opens an indicator group (at a page)."""
    return _checked(f"i:{group_id}" if page == 0 else f"i:{group_id}:{page}")


def outcomes(page: int) -> str:
    """Encode a button that opens a page of the expected outcomes."""
    return _checked(f"o:{page}")


def results(evaluation_id: int, part: str | None = None, page: int = 0) -> str:
    """Encode a button that opens an evaluation's summary, its reading or its notes."""
    if part is None:
        return _checked(f"v:{evaluation_id}")
    assert part in ("reading", "notes"), part
    return _checked(f"v:{evaluation_id}:{part}" + (f":{page}" if page else ""))


def team(round_id: int, action: str, index: int | None = None, level: int | None = None) -> str:
    """Encode a team round button."""
    assert action in TEAM_ACTIONS, action
    data = f"g:{round_id}:{action}"
    if index is not None:
        data += f":{index}" + (f".{level}" if level is not None else "")
    return _checked(data)


def setup(action: str, index: int | None = None) -> str:
    """Encode a button of the new-round setup."""
    assert action in SETUP_ACTIONS, action
    return _checked(f"n:{action}" if index is None else f"n:{action}:{index}")


def level(scale_id: str, value: int) -> str:
    """Encode a button that tells more about one level of a scale."""
    return _checked(f"s:{scale_id}:{value}")


def words(positions: tuple[int, ...]) -> str:
    """Encode a button that explains these glossary terms."""
    return _checked("w:" + ".".join(str(n) for n in positions))


def continue_evaluation(evaluation_id: int) -> str:
    """Encode a button that continues one unfinished evaluation."""
    return _checked(f"c:{evaluation_id}")


def parse(data: str | None) -> Press | None:
    """Parse button data; return None for anything not made by this bot."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    if match := _MENU.fullmatch(data):
        return MenuPress(match[1]) if match[1] in MENU_ITEMS else None
    if match := _EVAL.fullmatch(data):
        action = match[4]
        if action is not None and action not in EVAL_ACTIONS:
            return None
        return EvaluationPress(int(match[1]), int(match[2]), match[3], action)
    if match := _RESOURCE.fullmatch(data):
        origin = match[2] or ""
        topic_id = origin[2:] if origin.startswith("t.") else None
        reading_of = int(origin[2:]) if origin.startswith("s.") else None
        return ResourcePress(match[1], topic_id, origin == "q", reading_of)
    if match := _TOPIC.fullmatch(data):
        return TopicPress(match[1])
    if match := _INDICATORS.fullmatch(data):
        return IndicatorsPress(match[1], int(match[2] or 0))
    if match := _OUTCOMES.fullmatch(data):
        return OutcomesPress(int(match[1]))
    if match := _RESULTS.fullmatch(data):
        return ResultsPress(int(match[1]), match[2], int(match[3] or 0))
    if match := _TEAM.fullmatch(data):
        if match[2] not in TEAM_ACTIONS:
            return None
        index = None if match[3] is None else int(match[3])
        level = None if match[4] is None else int(match[4])
        return TeamPress(int(match[1]), match[2], index, level)
    if match := _SETUP.fullmatch(data):
        if match[1] not in SETUP_ACTIONS:
            return None
        return SetupPress(match[1], None if match[2] is None else int(match[2]))
    if match := _CONTINUE.fullmatch(data):
        return ContinuePress(int(match[1]))
    if match := _LEVEL.fullmatch(data):
        return LevelPress(match[1], int(match[2]))
    if match := _WORDS.fullmatch(data):
        return WordsPress(tuple(int(n) for n in match[1].split(".")))
    return None


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data
