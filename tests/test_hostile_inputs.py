"""Hostile and odd inputs at every kind of prompt: the bot never breaks, loses or leaks.

Each input of the catalogue is tried at five prompts: (a) outside a flow (free text is a
search), (b) the organisation name of a self-evaluation, (c) a rating, (d) an evidence note and
(e) the display name when joining a team round. For each pair the bot must not raise or make a
call Telegram would refuse (the chat is strict), must answer clearly or stay silent on purpose,
must keep every answer stored before (only the prompt's own answer may change), must leave the
prompt answerable afterwards, and its CSV exports must stay well-formed and formula-free.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.telegram.local_chat import BotMessage, LocalChat
from bot.telegram.services import SERVICES_KEY
from storage.export import csv_bytes
from tests.conftest import RunningBot

ACTOR, OLIVE, BEN = 1001, 2001, 2002
ORGANISATION = "Leeds City Council"
ACTOR_NOTE = "Alex's first note"
BEN_NOTE = "Ben's private note about Bradford"
CODE = re.compile(r"start=([0-9a-z]+)")
FORMULA_STARTS = ("=", "+", "-", "@")
# Inputs whose round export goes through the organiser's button (it draws a chart: slower).
UI_ROUND_EXPORT = frozenset(
    {"formula_cmd", "formula_plus", "formula_minus", "formula_at", "formula_tab", "html_script"}
)
PROMPTS = ("outside", "organisation", "rating", "note", "join_name")

_update_ids = itertools.count(700_000)
_message_ids = itertools.count(50_000)


# -- the world every case starts from --------------------------------------------------------


@dataclass
class World:
    """The bot with stored data from three people, and the actor waiting at one prompt."""

    bot: RunningBot
    actor: LocalChat
    olive: LocalChat
    ben: LocalChat
    prompt: str
    code: str
    round_id: int
    ben_evaluation: int
    ben_button: str
    olive_close: str
    olive_export: str
    stale: int
    """A question of the actor's that the flow has moved on from."""
    stale_data: str
    """A rating button's data from that question (5, where 3 was chosen)."""
    group: LocalChat | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def ratings(chat: LocalChat) -> list[str]:
    """Return the rating buttons under the newest message."""
    return ratings_of(chat.last)


def snapshot(bot: RunningBot) -> dict[tuple[int, str], tuple[object, ...]]:
    """Return every stored answer of everyone, by evaluation and statement."""
    return {
        (row.evaluation_id, row.statement_id): (
            row.organisation,
            row.participant,
            row.rating,
            row.skipped,
            row.note,
            row.evaluation_status,
        )
        for row in bot.store.export_rows()
    }


def actor_evaluation(world: World) -> int | None:
    """Return the id of the actor's newest evaluation."""
    participant = world.bot.store.participant_for(str(ACTOR))
    evaluations = world.bot.store.evaluations_for(participant)
    return evaluations[0].id if evaluations else None


def ratings_of(message: BotMessage) -> list[str]:
    """Return the rating buttons of one message."""
    return [label for label in message.labels if label[:1].isdigit()]


async def solo_start(chat: LocalChat, organisation: str) -> tuple[int, str]:
    """Start a self-evaluation, rate statement 1 at 3 with a note; return the question's id."""
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    await chat.send(organisation)
    assert "Statement 1 of 7" in chat.last.text
    first = chat.last
    await chat.tap(ratings(chat)[2])
    return first.message_id, first.callback_data(ratings_of(first)[4]) or ""


async def build_world(bot: RunningBot, prompt: str) -> World:
    """Store some answers for Olive's round and Ben, then bring the actor to ``prompt``."""
    olive = bot.chat(user_id=OLIVE, first_name="Olive")
    await olive.send("/team")
    await olive.tap("Start a team evaluation")
    await olive.send("Kirklees Council")
    await olive.tap(next(label for label in olive.last.labels if label.startswith("Use “")))
    await olive.tap("Create the round")
    await olive.tap("Use “Olive”")
    match = CODE.search(olive.last.text)
    assert match is not None, olive.last.text
    code = match[1]
    round_id = bot.store.rounds()[0].id
    await olive.tap("Open the round")
    olive_close = olive.last.callback_data("Close the round")
    olive_export = olive.last.callback_data("Export CSV and chart")
    assert olive_close and olive_export, olive.last.labels

    ben = bot.chat(user_id=BEN, first_name="Ben")
    await solo_start(ben, "Bradford Council")
    await ben.send(BEN_NOTE)
    assert "Statement 2 of 7" in ben.last.text
    ben_button = ben.last.callback_data(ratings(ben)[4])
    assert ben_button
    ben_participant = bot.store.participant_for(str(BEN))
    ben_evaluation = bot.store.evaluations_for(ben_participant)[0].id

    actor = bot.chat(user_id=ACTOR, first_name="Alex")
    stale, stale_data = await solo_start(actor, ORGANISATION)
    await actor.send(ACTOR_NOTE)
    assert "Statement 2 of 7" in actor.last.text
    if prompt == "outside":
        await actor.send("/cancel")
        assert "Paused" in actor.last.text
    elif prompt == "organisation":
        await actor.send("/evaluate")
        await actor.tap("Start a new one")
        await actor.tap("No, change the organisation")
        assert "Which council or organisation" in actor.last.text
    elif prompt == "rating":
        pass
    elif prompt == "note":
        await actor.tap(ratings(actor)[1])
        assert "evidence" in actor.last.text.lower()
    elif prompt == "join_name":
        await actor.send(f"/join {code}")
        assert "What name should the team see for you?" in actor.last.text, actor.last.text
    else:  # pragma: no cover - a typo in PROMPTS
        raise AssertionError(prompt)
    return World(
        bot=bot,
        actor=actor,
        olive=olive,
        ben=ben,
        prompt=prompt,
        code=code,
        round_id=round_id,
        ben_evaluation=ben_evaluation,
        ben_button=ben_button,
        olive_close=olive_close,
        olive_export=olive_export,
        stale=stale,
        stale_data=stale_data,
    )


# -- raw updates ----------------------------------------------------------------------------


def update(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Return an update of this kind with a fresh update id."""
    return {"update_id": next(_update_ids), kind: payload}


def message_json(chat: LocalChat, **content: Any) -> dict[str, Any]:
    """Return a Message object from this chat's user with this content."""
    return {
        "message_id": next(_message_ids),
        "date": 1_700_000_000,
        "chat": chat.chat,
        "from": chat.user,
        **content,
    }


def text_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity Telegram marks on a leading /command."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]


def photo() -> dict[str, Any]:
    sizes = [(90, 67, 1_200), (320, 240, 14_000), (1280, 960, 160_000)]
    return {
        "photo": [
            {
                "file_id": f"AgACAgQAAxkBAAI{n}",
                "file_unique_id": f"AQAD{n}",
                "width": width,
                "height": height,
                "file_size": size,
            }
            for n, (width, height, size) in enumerate(sizes)
        ],
        "caption": "<b>=cmd|' /C calc'!A0</b>",
    }


def sticker() -> dict[str, Any]:
    return {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAIBY2",
            "file_unique_id": "AgADsw",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "😀",
            "set_name": "HotCherry",
            "file_size": 22_000,
        }
    }


def voice() -> dict[str, Any]:
    return {
        "voice": {
            "file_id": "AwACAgQAAxkBAAIBZ2",
            "file_unique_id": "AgADtw",
            "duration": 4,
            "mime_type": "audio/ogg",
            "file_size": 9_000,
        }
    }


def document() -> dict[str, Any]:
    return {
        "document": {
            "file_id": "BQACAgQAAxkBAAIBa2",
            "file_unique_id": "AgADuw",
            "file_name": "../../etc/passwd.csv",
            "mime_type": "text/csv",
            "file_size": 512,
        },
        "caption": '=HYPERLINK("http://evil.example")',
    }


def location() -> dict[str, Any]:
    return {"location": {"latitude": 53.7996, "longitude": -1.5491}}


def contact() -> dict[str, Any]:
    return {
        "contact": {
            "phone_number": "+447700900123",
            "first_name": "Eve",
            "last_name": "<script>",
            "user_id": 3003,
        }
    }


@dataclass(frozen=True)
class Case:
    """One hostile input and how it reaches the bot."""

    kind: str
    """text, update (a raw message from the actor), edited, group, groupcmd, channel, tap,
    stale, inline."""
    value: Any = None
    silent: bool = False
    """The bot should say nothing in the actor's private chat."""


def text(value: str) -> Case:
    return Case("text", value)


def raw(builder: Callable[[], dict[str, Any]]) -> Case:
    return Case("update", builder)


CASES: dict[str, Case] = {
    "empty": text(""),
    "whitespace": text(" \t \n  "),
    "newlines_only": text("\n\n\n"),
    "10000_chars": text("Leeds " * 1666 + "Leeds"),
    "emoji": text("👩🏽‍⚕️🧑‍🦽 Leeds care 💜🏳️‍🌈"),
    "combining_zalgo": text("L̴̡̢e̸͎͝e̷̛͙d̶̰͘s̵̖̈́ C̷o̸u̴n̶c̵i̴l̸"),
    "zero_width_only": text("\u200d\u200b\u200c\ufeff\u2060"),
    "zero_width_inside": text("Lee\u200dds\u200b Coun\ufeffcil"),
    "arabic": text("مجلس مدينة ليدز"),
    "hebrew": text("מועצת העיר לידס"),
    "rtl_override": text("\u202elicnuoC sdeeL\u202c"),
    "nul": text("Leeds\x00Council"),
    "control_chars": text("\x01\x07\x08\x1b[31mred\x1b[0m\x7f\x9b"),
    "html_bold": text("<b>bold</b>"),
    "html_close_i": text("</i>"),
    "html_entities": text("&amp; &lt; & <> &#0; &nbsp"),
    "html_script": text("<script>alert('x')</script>"),
    "markdown": text("*_[]()~`` ` ``*bold* _it_ [a](http://x) ~s~ ```code```"),
    "sql": text("'; DROP TABLE answers; --"),
    "formula_cmd": text("=cmd|' /C calc'!A0"),
    "formula_plus": text("+1"),
    "formula_minus": text("-2"),
    "formula_at": text("@SUM(1)"),
    "formula_tab": text("\t=1+1"),
    "formula_cr": text("\r=1+1"),
    "number": text("3"),
    "number_big": text("99999999999999999999"),
    "number_zero": text("0"),
    "number_decimal": text("3.5"),
    "number_arabic_indic": text("٣"),
    "long_word": text("Supercalifragilistic" * 50),
    "punctuation": text("?!.,;:…—‽¿¡«»"),
    "url": text("https://example.com/a?b=<c>&d='e'"),
    "phone": text("+44 20 7946 0958"),
    "format_strings": text("%s %n %x {0} {texts} ${jndi:ldap://x/a}"),
    "astral_math": text("𝕷𝖊𝖊𝖉𝖘 𝕮𝖔𝖚𝖓𝖈𝖎𝖑"),
    "lone_surrogate_like": text("\ufffd\ufffe\uffff"),
    "cmd_join_bare": text("/join"),
    "cmd_join_args": text("/join a b c"),
    "cmd_start_path": text("/start ../../etc"),
    "cmd_start_long": text("/start " + "x" * 300),
    "cmd_find_5000": text("/find " + "care " * 1000),
    "cmd_other_bot": Case("text", "/evaluate@other_bot", silent=True),
    "cmd_unknown": text("/drop_table"),
    "cmd_html": text("/find <b>&</i>"),
    "photo": raw(photo),
    "sticker": raw(sticker),
    "voice": raw(voice),
    "document": raw(document),
    "location": raw(location),
    "contact": raw(contact),
    "forwarded": Case("forwarded", "=cmd|' /C calc'!A0"),
    "edited": Case("edited", "5"),
    "group_text": Case("group", "=cmd|' /C calc'!A0", silent=True),
    "group_command": Case("group", "/evaluate", silent=True),
    "channel_post": Case("channel", "/start", silent=True),
    "tap_random": Case("tap", "x7$%^&*()ßñ"),
    "tap_64_bytes": Case("tap", "e:" + "9" * 80),
    "tap_emoji_data": Case("tap", "m:é🎉"),
    "tap_other_evaluation": Case("tap", "{ben_button}"),
    "tap_other_results": Case("tap", "v:{ben_evaluation}:notes"),
    "tap_other_round_close": Case("tap", "{olive_close}"),
    "tap_other_round_export": Case("tap", "{olive_export}"),
    "tap_old_button": Case("stale"),
    "inline_300": Case("inline", "safe staffing " * 21 + "abc", silent=True),
}


# -- running a case --------------------------------------------------------------------------


async def run_case(world: World, case: Case) -> list[str]:
    """Feed the case to the bot as the actor; return the toasts a tap was answered with."""
    actor = world.actor
    if case.kind == "text":
        await actor.deliver(
            update(
                "message",
                message_json(actor, text=case.value, entities=text_entities(case.value)),
            )
        )
        return []
    if case.kind == "update":
        await actor.deliver(update("message", message_json(actor, **case.value())))
        return []
    if case.kind == "forwarded":
        origin = {
            "type": "user",
            "date": 1_699_999_000,
            "sender_user": {"id": 4004, "is_bot": False, "first_name": "Mallory"},
        }
        payload = message_json(actor, text=case.value, forward_origin=origin)
        await actor.deliver(update("message", payload))
        return []
    if case.kind == "edited":
        payload = {**message_json(actor, text=case.value), "edit_date": 1_700_000_100}
        await actor.deliver(update("edited_message", payload))
        return []
    if case.kind == "group":
        group = world.bot.chat(user_id=ACTOR, first_name="Alex", chat_type="supergroup")
        world.group = group
        payload = message_json(group, text=case.value, entities=text_entities(case.value))
        await group.deliver(update("message", payload))
        world.extra["group_replies"] = [m.text for m in group.replies]
        return []
    if case.kind == "channel":
        channel = {"id": -1001234567890, "type": "channel", "title": "Council news"}
        post = {
            "message_id": next(_message_ids),
            "date": 1_700_000_000,
            "chat": channel,
            "sender_chat": channel,
            "text": case.value,
            "entities": text_entities(case.value),
        }
        await actor.deliver(update("channel_post", post))
        return []
    if case.kind == "tap":
        data = case.value.format(
            ben_button=world.ben_button,
            ben_evaluation=world.ben_evaluation,
            olive_close=world.olive_close,
            olive_export=world.olive_export,
        )
        await actor.tap_data(data)
        return actor.callback_answers
    if case.kind == "stale":
        await actor.tap_data(world.stale_data, message=world.stale)
        return actor.callback_answers
    if case.kind == "inline":
        results = await actor.inline(case.value)
        assert isinstance(results, list)
        return []
    raise AssertionError(case.kind)  # pragma: no cover


FIRST_STATEMENT = "strengths-based-practice"


def may_change(world: World, key: tuple[int, str], old: tuple[object, ...], new: object) -> bool:
    """Tell whether the case may change this stored answer: only the prompt's own."""
    if world.prompt not in ("rating", "note") or key[0] != actor_evaluation(world):
        return False
    if key[1] == FIRST_STATEMENT:
        return False
    # At the note prompt the rating is given: only the note may change.
    return world.prompt == "rating" or (isinstance(new, tuple) and new[:4] == old[:4])


QUESTION_IN_VIEW = {
    "organisation": "Which council or organisation",
    "rating": "Statement 2 of 7",
    "note": "evidence",
}


async def still_answerable(world: World) -> None:
    """The prompt still takes an ordinary answer (after /resume if a command moved on)."""
    actor = world.actor
    if world.prompt == "outside":
        await actor.send("safe staffing")
        assert any(m.text for m in actor.replies)
        return
    if world.prompt == "join_name":
        if not joined(world):
            if "What name should the team see" not in actor.last.text:
                await actor.send(f"/join {world.code}")
            assert "What name should the team see" in actor.last.text, actor.last.text
            await actor.send("Alex J")
            assert joined(world), actor.last.text
        assert "Statement 1 of 7" in actor.last.text, actor.last.text
        return
    last = actor.last
    if world.prompt == "organisation" and "Statement 1 of 7" in last.text:
        return  # the input was taken as the organisation's name
    if world.prompt == "rating" and "evidence" in last.text.lower() and "Skip" in last.labels:
        return  # the input was taken as the rating
    if world.prompt == "note" and "Statement 3 of 7" in last.text:
        return  # the input was taken as the note
    if QUESTION_IN_VIEW[world.prompt] not in last.text or not last.labels:
        await actor.send("/resume")
        if "more than one self-evaluation" in actor.last.text:
            # The organisation prompt belongs to the new evaluation, with nothing rated yet.
            await actor.tap(next(label for label in actor.last.labels if label.endswith("0/7")))
        assert QUESTION_IN_VIEW[world.prompt] in actor.last.text, actor.last.text
    if world.prompt == "organisation":
        await actor.send("Wakefield Council")
        assert "Statement 1 of 7" in actor.last.text, actor.last.text
    elif world.prompt == "rating":
        await actor.tap(ratings(actor)[3])
        assert "evidence" in actor.last.text.lower()
    else:
        await actor.send("A recovered note")
        assert "Note saved." in [m.text for m in actor.replies]


def joined(world: World) -> bool:
    """Tell whether the actor is now a member of Olive's round."""
    participant = world.bot.store.participant_for(str(ACTOR))
    return world.bot.store.member(world.round_id, participant) is not None


def check_csv(data: bytes) -> list[list[str]]:
    """Parse an export: same width in every row, no cell a spreadsheet would run."""
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows, "empty CSV"
    widths = {len(row) for row in rows}
    assert len(widths) == 1, widths
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"formula-like cell {cell!r}"
    return rows


# Known bugs: each (input, prompt) pair that breaks the bot, with what goes wrong (none now:
# invisible and control characters are cleaned from typed text, and a command for another bot
# or a forged button no longer ends the prompt that waits for a name).
BUGS: dict[tuple[str, str], str] = {}


def params() -> list[Any]:
    """Return one test per (input, prompt) pair, known bugs marked strictly."""
    return [
        pytest.param(
            name,
            prompt,
            id=f"{name}-{prompt}",
            marks=(
                [pytest.mark.xfail(strict=True, reason=BUGS[name, prompt])]
                if (name, prompt) in BUGS
                else []
            ),
        )
        for name in CASES
        for prompt in PROMPTS
    ]


def typed_value(world: World) -> str | None:
    """Return the text the prompt stores: the organisation, the note or the display name."""
    store = world.bot.store
    participant = store.participant_for(str(ACTOR))
    if world.prompt == "organisation":
        evaluations = store.evaluations_for(participant)
        return evaluations[0].organisation if evaluations else None
    if world.prompt == "note":
        evaluation = actor_evaluation(world)
        assert evaluation is not None
        notes = [
            answer.note
            for statement, answer in store.answers_for(evaluation).items()
            if statement != FIRST_STATEMENT
        ]
        return notes[0] if notes else None
    if world.prompt == "join_name":
        member = store.member(world.round_id, participant)
        return member.display_name if member else None
    return None


def readable(value: str) -> bool:
    """Tell whether stored text has something to see and no control characters."""
    visible = any(unicodedata.category(c)[0] in "LNPS" for c in value)
    controls = any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value)
    return visible and not controls


@pytest.mark.parametrize(("name", "prompt"), params())
async def test_hostile_input(bot: RunningBot, name: str, prompt: str) -> None:
    case = CASES[name]
    world = await build_world(bot, prompt)
    before = snapshot(bot)
    value_before = typed_value(world)
    outbox_before = len(bot.transport.outbox)

    toasts = await run_case(world, case)
    shown = toasts + [
        m.text
        for m in bot.transport.outbox[outbox_before:]
        if m.chat_id == world.actor.chat_id and m.sender.get("id") == bot.transport.bot_user["id"]
    ]

    # A clear answer, or deliberate silence.
    if case.silent or (case.kind == "edited" and prompt == "outside"):
        assert shown == [], shown
    else:
        assert any(t.strip() for t in shown), f"no clear reply to {name} at {prompt}"
    if case.kind == "group":
        group_replies = world.extra["group_replies"]
        if case.value.startswith("/"):
            # A command in a group gets one pointer to the private chat, nothing more.
            assert len(group_replies) == 1 and "private" in group_replies[0].lower()
        else:
            assert group_replies == []
    # Ben's note never reaches the actor, whatever the actor taps.
    leaked = [
        m.text or ""
        for m in bot.transport.outbox[outbox_before:]
        if m.chat_id in (world.actor.chat_id, world.group.chat_id if world.group else 0)
    ]
    assert not any(BEN_NOTE in t for t in leaked)

    # Nothing stored before is lost or changed, except the prompt's own answer.
    after = snapshot(bot)
    for key, value in before.items():
        if after.get(key) != value and not may_change(world, key, value, after.get(key)):
            raise AssertionError(f"{name} at {prompt} changed {key}: {value} -> {after.get(key)}")
    value_after = typed_value(world)
    if value_after != value_before and value_after is not None:
        assert readable(value_after), f"stored {value_after!r}"
    assert bot.store.round(world.round_id).is_open  # type: ignore[union-attr]
    # No file (another round's export) reached the actor.
    assert not [
        m
        for m in bot.transport.outbox[outbox_before:]
        if m.chat_id == world.actor.chat_id and (m.document or m.photo)
    ]

    await still_answerable(world)
    if prompt == "join_name":
        # The chosen name goes into the organiser's ratings CSV: rate once (it is exported).
        await world.actor.tap(ratings(world.actor)[0])

    # Exports stay well-formed: the actor's /export, everyone's rows, the organiser's round.
    await world.actor.send("/export")
    document = world.actor.last.document
    assert document is not None, world.actor.last.text
    check_csv(document.content)
    every = csv_bytes(bot.store.export_rows(), statement_titles={}, rating_labels={})
    check_csv(every)
    if prompt == "join_name":
        if name in UI_ROUND_EXPORT:
            # The organiser's own button: both CSVs and the chart, as sent.
            message = world.olive.last.message_id
            await world.olive.tap_data(world.olive_export, message=message)
            documents = [m.document for m in world.olive.replies if m.document is not None]
            assert len(documents) == 2, [m.text for m in world.olive.replies]
            exports = [document.content for document in documents]
        else:
            # The same bytes the button sends, without drawing the chart every time.
            teams = bot.application.bot_data[SERVICES_KEY].teams  # type: ignore[attr-defined]
            round_ = bot.store.round(world.round_id)
            exports = [teams.ratings_csv(round_), teams.summary_csv(round_)]
        ratings_rows = check_csv(exports[0])
        assert len(ratings_rows) == 2, ratings_rows  # the header and the actor's one rating
        for data in exports:
            check_csv(data)
