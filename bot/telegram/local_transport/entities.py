"""Telegram's HTML parse mode: text as sent → visible text and Bot API entities.

It follows tdlib's rules and error messages, so markup Telegram would refuse is refused here
with Telegram's reason. Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.telegram.local_transport.records import JSONDict


class EntityParseError(ValueError):
    """Text that Telegram's HTML parse mode would refuse; the message is Telegram's reason."""


_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_SUPPORTED_TAGS: Final = frozenset(_ENTITY_TYPES)
# Telegram understands only these named entities (plus every numeric one).
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


# A run of text with no markup in it: emitted in one piece rather than a character at a time.
_PLAIN: Final = re.compile(r"[^&<]+")


def utf16_length(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram measures entity offsets in."""
    if text.isascii():
        return len(text)  # the common case, without encoding
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    expandable: bool = False


class _HtmlParser:
    """Telegram's HTML parser, following tdlib's rules and error messages.

    With ``strict_ampersand`` a "&" that does not start a complete entity (``&amp;``,
    ``&#38;``...) is refused. Telegram itself shows such a "&" literally, but in this bot it
    always means an interpolated string skipped ``html.escape`` — and the same string with a
    "<" in it would break the message in production.
    """

    def __init__(self, text: str, *, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of what has been emitted so far
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self._emit(self._entity_or_ampersand())
            elif char == "<":
                if self.pos + 1 < len(text) and text[self.pos + 1] == "/":
                    self._end_tag()
                else:
                    self._start_tag()
            else:
                plain = _PLAIN.match(text, self.pos)
                assert plain is not None  # text[pos] is neither "&" nor "<"
                self._emit(plain.group())
                self.pos = plain.end()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.out), self.entities

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_length(chunk)

    def _byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode("utf-8"))

    def _entity_or_ampersand(self) -> str:
        """Decode the entity at ``pos`` and move past it; a lone "&" stays as it is."""
        decoded = _decode_entity(self.text, self.pos)
        # Telegram also reads "&amp" without the semicolon; the strict check does not, since a
        # missing ";" is as much a sign of unescaped text as a lone "&".
        if decoded is None or (self.strict_ampersand and not decoded[2]):
            if self.strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {self._byte_offset(self.pos)}; write it as '
                    '"&amp;" (Telegram would show it as text, but it means html.escape was missed)'
                )
            self.pos += 1
            return "&"
        char, self.pos, _ = decoded
        return char

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _start_tag(self) -> None:
        text = self.text
        begin = self.pos
        at = self._byte_offset(begin)
        self.pos += 1
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        if self.pos >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        name = text[begin + 1 : self.pos].lower()
        if name not in _SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')

        attributes = self._attributes(name, at)
        self.pos += 1  # past ">"

        argument = ""
        if name == "a":
            argument = attributes.get("href", "")
        elif name == "code":
            argument = attributes.get("class", "").removeprefix("language-")
        elif name == "tg-emoji":
            argument = attributes.get("emoji-id", "")
            if not argument:
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}'
                )
        elif name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(
            _OpenTag(name, argument, self.offset, expandable="expandable" in attributes)
        )

    def _attributes(self, tag: str, at: int) -> dict[str, str]:
        """Read the attributes of a start tag up to (not past) its ">"."""
        text = self.text
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            if text[self.pos] == ">":
                return attributes
            start = self.pos
            while (
                self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] not in "=>"
            ):
                self.pos += 1
            attribute = text[start : self.pos].lower()
            if not attribute:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {at}'
                )
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            if text[self.pos] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    attributes[attribute] = ""
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            self.pos += 1
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            attributes[attribute] = self._attribute_value(tag, at)

    def _attribute_value(self, tag: str, at: int) -> str:
        text = self.text
        quote = text[self.pos]
        if quote not in "\"'":
            start = self.pos
            while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] in ".-"):
                self.pos += 1
            if self.pos == start:
                raise EntityParseError(
                    "Expected quote in a declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            return text[start : self.pos]
        self.pos += 1
        value: list[str] = []
        while self.pos < len(text) and text[self.pos] != quote:
            if text[self.pos] == "&":
                value.append(self._entity_or_ampersand())
            else:
                value.append(text[self.pos])
                self.pos += 1
        if self.pos >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        self.pos += 1  # past the closing quote
        return "".join(value)

    def _end_tag(self) -> None:
        text = self.text
        begin = self.pos
        at = self._byte_offset(begin)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {at}")
        self.pos += 2
        start = self.pos
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        end_name = text[start : self.pos].lower()
        self._skip_spaces()
        if self.pos >= len(text) or text[self.pos] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {at}")
        self.pos += 1
        tag = self.stack[-1]
        if end_name and end_name != tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        if length <= 0:
            return  # Telegram drops empty entities
        entity: JSONDict = {"type": _ENTITY_TYPES[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            if not tag.argument:
                return  # a link without href is plain text
            entity["url"] = tag.argument
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "pre":
            # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
            for inner in self.entities:
                if (
                    inner["type"] == "code"
                    and inner["offset"] == tag.offset
                    and inner["length"] == length
                ):
                    self.entities.remove(inner)
                    if "language" in inner:
                        entity["language"] = inner["language"]
                    break
        if entity["type"] == "code" and "language" in entity and not self._inside("pre"):
            del entity["language"]  # a language only means something inside <pre>
        self.entities.append(entity)

    def _inside(self, name: str) -> bool:
        return any(tag.name == name for tag in self.stack)


def _decode_entity(text: str, pos: int) -> tuple[str, int, bool] | None:
    """Decode the HTML entity at ``text[pos] == "&"``: character, end, and whether ";" ended it."""
    end = pos + 1
    if end < len(text) and text[end] == "#":
        end += 1
        base = 10
        digits = "0123456789"
        if end < len(text) and text[end] in "xX":
            end += 1
            base = 16
            digits = "0123456789abcdefABCDEF"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - start > 8:
            return None
        code = int(text[start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = end
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[start:end])
        if named is None:
            return None
        char = named
    if end < len(text) and text[end] == ";":
        return char, end + 1, True
    return char, end, False


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into visible text and Bot API entities.

    Raises `EntityParseError` with Telegram's reason for markup Telegram refuses. Offsets and
    lengths of the entities are in UTF-16 code units, as in the Bot API.
    """
    return _HtmlParser(text, strict_ampersand=strict_ampersand).parse()


def trim(text: str, entities: list[JSONDict]) -> tuple[str, tuple[JSONDict, ...]]:
    """Strip surrounding whitespace as Telegram does and shift the entities to match."""
    left_stripped = text.lstrip()
    lead = utf16_length(text[: len(text) - len(left_stripped)])
    trimmed = left_stripped.rstrip()
    total = utf16_length(trimmed)
    shifted: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            shifted.append({**entity, "offset": start, "length": end - start})
    return trimmed, tuple(shifted)
