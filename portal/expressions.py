"""The XLSForm expression subset used in ``relevant`` and ``constraint``.

Grammar (lowest precedence first)::

    expr    := and ("or" and)*
    and     := compare ("and" compare)*
    compare := sum (("=" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "div" | "mod") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "${" NAME "}" | "." | NAME "(" args ")" | "(" expr ")"

Functions: ``selected(field, 'value')``, ``count-selected(field)``,
``not(expr)``, ``string-length(expr)``, ``today()`` (ISO date), ``true()``,
``false()``. Dates are ISO strings, so they compare correctly as text.

An empty answer is ``None``. As in ODK, a comparison that involves an empty
answer is false, except ``= ''`` and ``!= ''`` which test emptiness.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from . import clock

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<ref>\$\{(?P<refname>[A-Za-z_][A-Za-z0-9_]*)\})
      | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | (?P<dot>\.)
    )""",
    re.VERBOSE,
)

FUNCTIONS: dict[str, int] = {
    "selected": 2,
    "count-selected": 1,
    "not": 1,
    "string-length": 1,
    "true": 0,
    "false": 0,
    "today": 0,
}


class ExpressionError(ValueError):
    """An expression that does not parse; the message says where."""


@dataclass(frozen=True)
class Expression:
    source: str
    tree: tuple
    references: frozenset[str]
    uses_self: bool

    def evaluate(self, values: Mapping[str, Any], current: Any = None) -> Any:
        return _eval(self.tree, values, current)

    def holds(self, values: Mapping[str, Any], current: Any = None) -> bool:
        return _truthy(self.evaluate(values, current))

    def simple_equality(self) -> tuple[str, str] | None:
        """(field, value) when the rule is just ``${field} = 'value'``: a page script can follow it at once."""
        found = re.fullmatch(r"\s*\$\{([a-z][a-z0-9_]*)\}\s*=\s*'([^']*)'\s*", self.source)
        return (found[1], found[2]) if found else None


def parse_expression(source: str) -> Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression")
    tokens = _tokenize(source)
    parser = _Parser(tokens, source)
    tree = parser.expr()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected '{parser.peek()[1]}' in {source!r}")
    refs: set[str] = set()
    uses_self = _collect(tree, refs)
    return Expression(source, tree, frozenset(refs), uses_self)


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read {source[pos:].strip()!r} in {source!r}")
        pos = m.end()
        kind = m.lastgroup if m.lastgroup != "refname" else "ref"
        if m.group("ref"):
            tokens.append(("ref", m.group("refname")))
        elif m.group("number"):
            tokens.append(("number", m.group("number")))
        elif m.group("string"):
            tokens.append(("string", m.group("string")[1:-1]))
        elif m.group("op"):
            tokens.append(("op", m.group("op")))
        elif m.group("name"):
            tokens.append(("name", m.group("name")))
        elif m.group("dot"):
            tokens.append(("dot", "."))
        else:  # pragma: no cover - the pattern has no other groups
            raise ExpressionError(f"cannot read {kind} in {source!r}")
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], source: str):
        self.tokens = tokens
        self.pos = 0
        self.source = source

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        tok = self.peek()
        if tok is None:
            raise ExpressionError(f"expression ends too early: {self.source!r}")
        self.pos += 1
        return tok

    def accept(self, kind: str, *values: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == kind and (not values or tok[1] in values):
            self.pos += 1
            return True
        return False

    def expect_op(self, value: str) -> None:
        tok = self.take()
        if tok != ("op", value):
            raise ExpressionError(f"expected '{value}' but found '{tok[1]}' in {self.source!r}")

    def expr(self):
        node = self.conj()
        while self.accept("name", "or"):
            node = ("or", node, self.conj())
        return node

    def conj(self):
        node = self.compare()
        while self.accept("name", "and"):
            node = ("and", node, self.compare())
        return node

    def compare(self):
        node = self.sum()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("=", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            node = ("cmp", tok[1], node, self.sum())
        return node

    def sum(self):
        node = self.product()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in ("+", "-"):
                self.pos += 1
                node = ("arith", tok[1], node, self.product())
            else:
                return node

    def product(self):
        node = self.unary()
        while True:
            tok = self.peek()
            if tok and ((tok[0] == "op" and tok[1] == "*") or (tok[0] == "name" and tok[1] in ("div", "mod"))):
                self.pos += 1
                node = ("arith", tok[1], node, self.unary())
            else:
                return node

    def unary(self):
        if self.accept("op", "-"):
            return ("arith", "-", ("lit", 0), self.unary())
        return self.atom()

    def atom(self):
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(value) if "." in value else int(value))
        if kind == "string":
            return ("lit", value)
        if kind == "ref":
            return ("ref", value)
        if kind == "dot":
            return ("self",)
        if kind == "op" and value == "(":
            node = self.expr()
            self.expect_op(")")
            return node
        if kind == "name":
            if value not in FUNCTIONS:
                raise ExpressionError(f"unknown function or word '{value}' in {self.source!r}")
            self.expect_op("(")
            args = []
            if not self.accept("op", ")"):
                args.append(self.expr())
                while self.accept("op", ","):
                    args.append(self.expr())
                self.expect_op(")")
            if len(args) != FUNCTIONS[value]:
                raise ExpressionError(
                    f"{value}() takes {FUNCTIONS[value]} argument(s), got {len(args)} in {self.source!r}"
                )
            return ("call", value, tuple(args))
        raise ExpressionError(f"unexpected '{value}' in {self.source!r}")


def _collect(node: tuple, refs: set[str]) -> bool:
    kind = node[0]
    if kind == "ref":
        refs.add(node[1])
        return False
    if kind == "self":
        return True
    if kind == "lit":
        return False
    if kind == "call":
        return any([_collect(a, refs) for a in node[2]])
    if kind == "cmp" or kind == "arith":
        return any([_collect(node[2], refs), _collect(node[3], refs)])
    return any([_collect(node[1], refs), _collect(node[2], refs)])


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple, set)):
        return bool(value)
    return bool(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(value: Any):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return None
    return None


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _eval(node: tuple, values: Mapping[str, Any], current: Any) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ref":
        return values.get(node[1])
    if kind == "self":
        return current
    if kind == "or":
        return _truthy(_eval(node[1], values, current)) or _truthy(_eval(node[2], values, current))
    if kind == "and":
        return _truthy(_eval(node[1], values, current)) and _truthy(_eval(node[2], values, current))
    if kind == "cmp":
        op, left, right = node[1], _eval(node[2], values, current), _eval(node[3], values, current)
        if left == "" or right == "":
            if op in ("=", "!="):
                return _COMPARE[op](_empty(left) and _empty(right), True)
            return False
        if _empty(left) or _empty(right):
            return op == "!=" and not (_empty(left) and _empty(right))
        if isinstance(left, list) or isinstance(right, list):
            return False
        ln, rn = _number(left), _number(right)
        if ln is not None and rn is not None and not (isinstance(left, str) and isinstance(right, str)):
            return _COMPARE[op](ln, rn)
        return _COMPARE[op](str(left), str(right))
    if kind == "arith":
        op = node[1]
        left, right = _number(_eval(node[2], values, current)), _number(_eval(node[3], values, current))
        if left is None or right is None:
            return None
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if right == 0:
            return None
        return left / right if op == "div" else left % right
    if kind == "call":
        name, args = node[1], node[2]
        if name == "today":
            return clock.today().isoformat()
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "not":
            return not _truthy(_eval(args[0], values, current))
        if name == "selected":
            chosen = _eval(args[0], values, current)
            wanted = _eval(args[1], values, current)
            if isinstance(chosen, (list, tuple)):
                return wanted in chosen
            return chosen == wanted and not _empty(chosen)
        if name == "count-selected":
            chosen = _eval(args[0], values, current)
            return len(chosen) if isinstance(chosen, (list, tuple)) else (0 if _empty(chosen) else 1)
        if name == "string-length":
            value = _eval(args[0], values, current)
            return 0 if _empty(value) else len(str(value))
    raise ExpressionError(f"cannot evaluate {node!r}")  # pragma: no cover
