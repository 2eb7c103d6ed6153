"""Typed text as the bot keeps it: no control or invisible characters, one form of each letter.

Pure. Names, organisations and notes are shown to others and exported to spreadsheets, so a
NUL, an escape sequence or a name made only of zero-width characters must not get in.
"""

from __future__ import annotations

import unicodedata

# Control, format (zero-width joiners, direction marks), surrogate, private and unassigned
# characters: invisible or unsafe in a name, a CSV cell or a terminal.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def cleaned(text: str) -> str:
    """Return typed text without invisible or control characters (line breaks are kept)."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        if char in "\n\t":
            kept.append("\n" if char == "\n" else " ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    return "".join(kept)


def addressed_elsewhere(text: str, username: str) -> bool:
    """Tell whether a command is addressed to another bot, as in /evaluate@other_bot."""
    command = text.split(maxsplit=1)[0] if text.strip() else ""
    _, at, addressee = command.partition("@")
    return bool(at) and addressee.casefold() != (username or "").casefold()
