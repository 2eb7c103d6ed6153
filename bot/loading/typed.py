"""Turn YAML nodes into frozen dataclasses, collecting every problem with its position.

Working on PyYAML's node tree (not on plain dicts) keeps line numbers and lets us catch YAML's
traps: duplicate keys (PyYAML keeps the last silently) and unquoted yes/no/on/off read as
booleans where a word was meant.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import yaml

from bot.loading.problems import Problem

_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"

MISSING: Any = object()


@dataclass
class Marks:
    """Where each loaded value came from, for problems found after conversion."""

    path: str
    by_value: dict[tuple[int, str | int | None], tuple[int, int]] = field(default_factory=dict)

    def remember(self, owner: object, key: str | int | None, node: yaml.Node) -> None:
        """Record the position of ``owner``'s field (or element) ``key``."""
        self.by_value[(id(owner), key)] = _position(node)

    def problem(self, owner: object, key: str | int | None, message: str) -> Problem:
        """Make a problem pointing at ``owner``'s field ``key`` (or at the owner itself)."""
        line, col = self.by_value.get((id(owner), key)) or self.by_value.get(
            (id(owner), None), (1, 1)
        )
        return Problem(self.path, line, col, message)


def _position(node: yaml.Node) -> tuple[int, int]:
    # PyYAML marks are 0-based; editors count from 1.
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass
class Converter:
    """Convert nodes of one file to typed values, recording problems and marks."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    # Unions of dataclasses are told apart by a ``kind`` key: kind name → class.
    kinds: dict[str, type] = field(default_factory=dict)
    keep_alive: list[object] = field(default_factory=list)
    dropped: bool = False  # an element of a list or mapping could not be built and was left out
    # The ids of list items (of a class with an ``id``) left out for a problem of their own, so
    # references to them are not reported as unknown too; ``ids_lost`` if one had no usable id.
    dropped_ids: set[str] = field(default_factory=set)
    ids_lost: bool = False

    def __post_init__(self) -> None:
        self.marks = Marks(self.path)

    def problem(self, node: yaml.Node, message: str) -> None:
        """Record a problem at a node."""
        line, col = _position(node)
        self.problems.append(Problem(self.path, line, col, message))

    def convert(self, node: yaml.Node, hint: Any, what: str) -> Any:
        """Return ``node`` as a value of type ``hint``, or MISSING after recording a problem."""
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (Union, types.UnionType):
            return self._union(node, args, what)
        if origin is Literal:
            return self._literal(node, args, what)
        if origin is tuple:
            return self._tuple(node, args[0], what)
        if origin is dict:
            return self._dict(node, args[1], what)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self._dataclass(node, hint, what)
        if hint is str:
            return self._str(node, what)
        if hint is bool:
            return self._bool(node, what)
        if hint is int:
            return self._int(node, what)
        raise TypeError(f"no conversion for {hint!r}")

    def _union(self, node: yaml.Node, args: tuple[Any, ...], what: str) -> Any:
        options = [a for a in args if a is not type(None)]
        if type(None) in args and _is_null(node):
            return None
        if len(options) == 1:
            return self.convert(node, options[0], what)
        if all(dataclasses.is_dataclass(a) for a in options):
            return self._by_kind(node, options, what)
        raise TypeError(f"no conversion for union {args!r}")

    def _by_kind(self, node: yaml.Node, options: list[Any], what: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} should be a mapping with a 'kind'")
            return MISSING
        kind_node = next((v for k, v in node.value if k.value == "kind"), None)
        allowed = ", ".join(sorted(self.kinds))
        if kind_node is None:
            self.problem(node, f"{what} has no 'kind' (one of: {allowed})")
            return MISSING
        cls = self.kinds.get(str(kind_node.value))
        if cls is None or cls not in options:
            hint = _did_you_mean(str(kind_node.value), self.kinds)
            self.problem(kind_node, f"unknown kind '{kind_node.value}'{hint} (one of: {allowed})")
            return MISSING
        return self._dataclass(node, cls, what, skip={"kind"})

    def _literal(self, node: yaml.Node, allowed: tuple[Any, ...], what: str) -> Any:
        value = self._str(node, what)
        if value is MISSING:
            return MISSING
        if value not in allowed:
            choices = ", ".join(str(a) for a in allowed)
            self.problem(node, f"{what} is '{value}'; it should be one of: {choices}")
            return MISSING
        return value

    def _tuple(self, node: yaml.Node, element: Any, what: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"{what} should be a list")
            return MISSING
        values = []
        for child in node.value:
            value = self.convert(child, element, f"an item of {what}")
            if value is MISSING:
                self.dropped = True
                self._remember_dropped(child, element)
            else:
                values.append((value, child))
        result = tuple(v for v, _ in values)
        self.keep_alive.append(result)
        for index, (_, child) in enumerate(values):
            self.marks.remember(result, index, child)
        self.marks.remember(result, None, node)
        return result

    def _remember_dropped(self, node: yaml.Node, element: Any) -> None:
        if not (dataclasses.is_dataclass(element) and "id" in _field_names(element)):
            return
        ids = [
            v
            for k, v in (node.value if isinstance(node, yaml.MappingNode) else [])
            if k.value == "id"
        ]
        if len(ids) == 1 and isinstance(ids[0], yaml.ScalarNode) and ids[0].tag == _STR_TAG:
            self.dropped_ids.add(str(ids[0].value).strip())
        else:
            self.ids_lost = True

    def _dict(self, node: yaml.Node, value_hint: Any, what: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} should be a mapping")
            return MISSING
        result: dict[str, Any] = {}
        for key_node, value_node in self._unique_pairs(node):
            value = self.convert(value_node, value_hint, f"'{key_node.value}'")
            if value is MISSING:
                self.dropped = True
            else:
                result[str(key_node.value)] = value
        self.keep_alive.append(result)
        self.marks.remember(result, None, node)
        for key_node, _ in node.value:
            self.marks.remember(result, str(key_node.value), key_node)
        return result

    def _dataclass(
        self, node: yaml.Node, cls: type, what: str, skip: set[str] | None = None
    ) -> Any:
        name = getattr(cls, "KIND", cls.__name__.lower())
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} should be a mapping of {name} fields")
            return MISSING
        hints = typing.get_type_hints(cls)
        fields = {
            f.name: f for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")
        }
        values: dict[str, Any] = {}
        positions: dict[str, yaml.Node] = {}
        ok = True
        for key_node, value_node in self._unique_pairs(node):
            key = str(key_node.value)
            if skip and key in skip:
                continue
            if key not in fields:
                hint = _did_you_mean(key, fields)
                self.problem(key_node, f"unknown key '{key}' in {name}{hint}")
                ok = False
                continue
            value = self.convert(value_node, hints[key], f"'{key}'")
            if value is MISSING:
                ok = False
            else:
                values[key] = value
                positions[key] = value_node
        present = {str(k.value) for k, _ in node.value}
        for field_name, spec in fields.items():
            required = (
                spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            )
            # A key that is present but failed to convert has its own problem already.
            if required and field_name not in present:
                self.problem(node, f"{name} is missing '{field_name}'")
                ok = False
        if not ok:
            return MISSING
        try:
            obj = cls(**values)
        except (TypeError, ValueError) as exc:
            self.problem(node, f"{name} is not valid: {exc}")
            return MISSING
        self.keep_alive.append(obj)
        self.marks.remember(obj, None, node)
        for key, value_node in positions.items():
            self.marks.remember(obj, key, value_node)
        return obj

    def _unique_pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        seen: dict[str, yaml.Node] = {}
        pairs = []
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                first_line = seen[key].start_mark.line + 1
                self.problem(key_node, f"duplicate key '{key}' (first given on line {first_line})")
                continue
            seen[key] = key_node
            pairs.append((key_node, value_node))
        return pairs

    def _str(self, node: yaml.Node, what: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} should be text")
            return MISSING
        if node.tag == _BOOL_TAG and node.style is None:
            self.problem(
                node,
                f"{what} is '{node.value}', which YAML reads as true/false: "
                f'put it in quotes ("{node.value}")',
            )
            return MISSING
        if node.tag == _NULL_TAG or (node.tag == _STR_TAG and not str(node.value).strip()):
            self.problem(node, f"{what} is empty: it needs some text")
            return MISSING
        return str(node.value).strip()

    def _bool(self, node: yaml.Node, what: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL_TAG:
            return str(node.value).lower() in ("true", "yes", "on", "y")
        self.problem(node, f"{what} should be true or false")
        return MISSING

    def _int(self, node: yaml.Node, what: str) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG:
            return int(str(node.value).replace("_", ""))
        self.problem(node, f"{what} should be a whole number")
        return MISSING


def _field_names(cls: Any) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _did_you_mean(word: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def compose_file(text: str, path: str, problems: list[Problem]) -> yaml.Node | None:
    """Parse YAML text into a node tree, recording a syntax error as a problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # For an unclosed quote or bracket PyYAML's problem mark is where it gave up (often the end
        # of the file); the context mark is where the quote or bracket opened, which is the fix.
        opened = exc.context is not None and (
            "quoted scalar" in exc.context or "flow" in exc.context
        )
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(path, line, col, f"YAML syntax: {exc.problem or exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1, 1, f"YAML syntax: {exc}"))
        return None
    if node is None:
        problems.append(Problem(path, 1, 1, "the file is empty"))
    return node


def top_level(converter: Converter, node: yaml.Node, expected: dict[str, Any]) -> dict[str, Any]:
    """Convert a file's top-level mapping key by key; report unknown and missing keys."""
    values: dict[str, Any] = {}
    if not isinstance(node, yaml.MappingNode):
        converter.problem(node, f"the file should be a mapping with: {', '.join(expected)}")
        return values
    for key_node, value_node in converter._unique_pairs(node):
        key = str(key_node.value)
        if key not in expected:
            hint = _did_you_mean(key, expected)
            converter.problem(key_node, f"unknown top-level key '{key}'{hint}")
            continue
        value = converter.convert(value_node, expected[key], f"'{key}'")
        if value is not MISSING:
            values[key] = value
    present = {str(k.value) for k, _ in node.value}
    for key in expected:
        if key not in present:
            converter.problem(node, f"missing top-level key '{key}'")
    return values
