"""The pure flow engine: flow definitions in, what to show and what to keep out.

Standard library only; no Telegram, no SQLite, no clock (a test checks this).
"""

from bot.engine.model import NEXT_ITEM, STEP_KINDS, Flow, Option, Step
from bot.engine.run import (
    Back,
    Choose,
    Context,
    Cursor,
    FlowError,
    Item,
    Keep,
    Problem,
    Progress,
    Prompt,
    Reply,
    Saved,
    Skip,
    State,
    Turn,
    Type,
    answer,
    answer_key,
    prompt_at,
    start,
)

__all__ = [
    "NEXT_ITEM",
    "STEP_KINDS",
    "Back",
    "Choose",
    "Context",
    "Cursor",
    "Flow",
    "FlowError",
    "Item",
    "Keep",
    "Option",
    "Problem",
    "Progress",
    "Prompt",
    "Reply",
    "Saved",
    "Skip",
    "State",
    "Step",
    "Turn",
    "Type",
    "answer",
    "answer_key",
    "prompt_at",
    "start",
]
