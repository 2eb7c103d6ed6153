"""What people type comes back exactly as typed: escaped in the HTML, never read as markup."""

from __future__ import annotations

from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot

HOSTILE_ORGANISATION = "Smith & Jones <b>Care</b> \"Ltd\" 'North' <i>"
ESCAPED_ORGANISATION = "Smith &amp; Jones &lt;b&gt;Care&lt;/b&gt; \"Ltd\" 'North' &lt;i&gt;"


async def start(chat: LocalChat, organisation: str) -> None:
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    await chat.send(organisation)


async def test_an_organisation_name_with_markup_is_shown_as_typed(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start(chat, HOSTILE_ORGANISATION)

    question = chat.last
    assert "Statement 1 of 7" in question.text
    assert f"How close is {HOSTILE_ORGANISATION} to this?" in question.text
    assert ESCAPED_ORGANISATION in question.html
    assert "<b>Care</b>" not in question.html
    assert bot.transport.refusals == []  # Telegram's HTML parser took every message
    [evaluation] = bot.store.evaluations_for(bot.store.participant_for("1001"))
    assert evaluation.organisation == HOSTILE_ORGANISATION  # stored as typed, not escaped


async def test_a_note_with_markup_is_shown_back_as_typed(bot: RunningBot, chat: LocalChat) -> None:
    await start(chat, "Leeds City Council")
    await chat.tap(chat.last.labels[2])
    note = "Spend < £5k & rising; see <a href='x'>report</a>"
    await chat.send(note)
    assert "Statement 2 of 7" in chat.last.text

    await chat.tap("⬅ Back")  # back to the note question, which shows the note so far

    shown = chat.last
    assert note in shown.text
    assert "Spend &lt; £5k &amp; rising; see &lt;a href='x'&gt;report&lt;/a&gt;" in shown.html
    assert bot.transport.refusals == []


async def test_a_search_with_markup_is_echoed_as_typed(bot: RunningBot, chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.send("<b>zzqx</b> & <nonsense>")

    assert "<b>zzqx</b> & <nonsense>" in chat.last.text
    assert "&lt;b&gt;zzqx&lt;/b&gt; &amp; &lt;nonsense&gt;" in chat.last.html
    assert bot.transport.refusals == []


async def test_a_name_the_team_sees_with_markup_is_shown_as_typed(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start(chat, "A&B <Council>")

    await chat.send("/results")
    assert any("A&B <Council>" in label for label in chat.last.labels)
    await chat.tap(next(label for label in chat.last.labels if "A&B <Council>" in label))
    assert "A&B <Council>" in chat.last.text
    assert "A&amp;B &lt;Council&gt;" in chat.last.html
    assert bot.transport.refusals == []
