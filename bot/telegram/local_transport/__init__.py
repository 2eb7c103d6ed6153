"""An in-process stand-in for the Telegram Bot API.

`LocalTelegram` is a `telegram.request.BaseRequest`: hand it to `ApplicationBuilder` and every
Bot API call the bot makes is answered in memory, shaped the way Telegram answers it. It also
refuses what Telegram refuses (bad HTML, oversized callback data, an edit that changes nothing,
...) with Telegram's status and description, so python-telegram-bot raises the same
`telegram.error.BadRequest` it would raise in production.

The test suite drives it offline; the terminal chat mode uses it to run the real Application
without a token; `tests/botapi_server.py` puts it behind real HTTP; the load benchmark
(`workforce-guide bench`) runs it without history (``keep_history=False``).

One job per module:

- `entities`: Telegram's HTML parse mode (text as sent → visible text and entities);
- `refusals`: Telegram's limits, its error descriptions and the checks that apply them;
- `records`: what is recorded (calls, messages, uploaded files, callback answers);
- `updates`: the user's side, the JSON of people, chats and the updates they send;
- `api`: `LocalTelegram` itself, the Bot API methods and its record of chats and messages.
"""

from bot.telegram.local_transport.api import (
    DEFAULT_BOT_FIRST_NAME,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USERNAME,
    RECENT_PER_CHAT,
    LocalTelegram,
)
from bot.telegram.local_transport.entities import EntityParseError, parse_html
from bot.telegram.local_transport.records import (
    ApiCall,
    CallbackAnswer,
    StoredMessage,
    UploadedFile,
)
from bot.telegram.local_transport.refusals import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    METHOD_NOT_FOUND,
    NOT_MODIFIED,
    QUERY_EXPIRED,
)
from bot.telegram.local_transport.updates import group_chat_json, private_chat_json, user_json

__all__ = [
    "DEFAULT_BOT_FIRST_NAME",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_USERNAME",
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "METHOD_NOT_FOUND",
    "NOT_MODIFIED",
    "QUERY_EXPIRED",
    "RECENT_PER_CHAT",
    "ApiCall",
    "CallbackAnswer",
    "EntityParseError",
    "LocalTelegram",
    "StoredMessage",
    "UploadedFile",
    "group_chat_json",
    "parse_html",
    "private_chat_json",
    "user_json",
]
