"""Load and check content and flows: YAML in, typed model out, every problem reported."""

from bot.loading.content import load_content
from bot.loading.flows import FlowEnvironment, load_flows
from bot.loading.guide import Guide, load_guide
from bot.loading.problems import ContentError, Problem

__all__ = [
    "ContentError",
    "FlowEnvironment",
    "Guide",
    "Problem",
    "load_content",
    "load_flows",
    "load_guide",
]
