"""Telegram's HTML parse mode as LocalTelegram reads it: visible text, entities, refusals."""

from __future__ import annotations

import html

import pytest

from bot.telegram.local_transport import EntityParseError, parse_html


@pytest.mark.parametrize(
    ("markup", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>B</b><strong>S</strong>", "BS", [("bold", 0, 1), ("bold", 1, 1)]),
        (
            "<i>i</i><em>e</em><u>u</u><ins>n</ins>",
            "ieun",
            [("italic", 0, 1), ("italic", 1, 1), ("underline", 2, 1), ("underline", 3, 1)],
        ),
        (
            "<s>s</s><strike>t</strike><del>d</del>",
            "std",
            [("strikethrough", 0, 1), ("strikethrough", 1, 1), ("strikethrough", 2, 1)],
        ),
        (
            '<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>',
            "ab",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<b>bold <i>both</i></b>", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        ("<code>x</code>", "x", [("code", 0, 1)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("&lt;&gt;&amp;&quot;&#39;&#x41;", "<>&\"'A", []),
        ("<B>upper</B>", "upper", [("bold", 0, 5)]),
        ("<b></b>x", "x", []),  # empty entities are dropped
        ("😀 <b>x</b>", "😀 x", [("bold", 3, 1)]),  # offsets count UTF-16 code units
        ("a > b", "a > b", []),  # Telegram accepts a bare ">"
    ],
)
def test_markup_becomes_text_and_entities(
    markup: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    visible, found = parse_html(markup)

    assert visible == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_links_keep_their_url_with_entities_decoded() -> None:
    _, entities = parse_html('<a href="https://example.org/?a=1&amp;b=2">site</a>')

    assert entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/?a=1&b=2"}
    ]


def test_pre_with_a_language_is_one_entity() -> None:
    _, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')

    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_custom_emoji_keeps_its_id() -> None:
    _, entities = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')

    assert entities[0]["custom_emoji_id"] == "5368324170671202286"


def test_escaped_user_text_always_parses() -> None:
    nasty = "Tom & Jerry <script> \"quotes\" 'apostrophes' &amp; 1 < 2 > 0"

    visible, entities = parse_html(f"<b>{html.escape(nasty)}</b>")

    assert visible == nasty
    assert entities == [{"type": "bold", "offset": 0, "length": len(nasty)}]


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("x <5", "Unclosed start tag at byte offset 2"),
        ("é<b", "Unclosed start tag at byte offset 2"),  # byte offsets count UTF-8 bytes
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a href>x</a>", 'Expected equal sign in declaration of an attribute of the tag "a"'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("Q&A", 'Unescaped "&" at byte offset 1'),
        ("&nbsp;", 'Unescaped "&" at byte offset 0'),  # Telegram knows only lt, gt, amp, quot
        ("&amp", 'Unescaped "&" at byte offset 0'),
    ],
)
def test_invalid_markup_is_refused_with_telegrams_reason(markup: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_html(markup)

    assert str(raised.value).startswith(reason)


def test_a_bare_ampersand_is_text_when_not_strict() -> None:
    assert parse_html("Q&A &amp", strict_ampersand=False) == ("Q&A &", [])
