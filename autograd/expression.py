"""A tiny expression language, parsed by hand into `Value` graphs (never eval/exec/compile).

    h = x*w + b; y = tanh(h)          # statements name intermediate nodes; the last is the output
    -x**2 + exp(-x/2) * max(x, 0.5)    # a bare final expression is fine too

Grammar (Python's precedence; `**` is right-associative and binds tighter than a unary
minus on its left, so -x**2 = -(x**2) and 2**-1 = 0.5):

    program   := statement (';' statement)* [';']
    statement := NAME '=' sum | sum
    sum       := product (('+' | '-') product)*
    product   := unary (('*' | '/') unary)*
    unary     := ('+' | '-') unary | power
    power     := atom ['**' unary]
    atom      := NUMBER | NAME | NAME '(' sum (',' sum)* ')' | '(' sum ')'

The parser recurses over the *text*, never over a graph, and its depth is bounded
(`MAX_DEPTH`); so are the text's length (`MAX_LENGTH`) and the node count (`MAX_NODES`).
Nodes are stored children-first, so evaluation is a plain loop.

>>> program = parse("h = x*w + b; y = tanh(h)")
>>> program.variables
('x', 'w', 'b')
>>> y, leaves = evaluate(program, {"x": 2.0, "w": -3.0, "b": 6.0})
>>> y.label, round(y.data, 6), leaves["x"].label
('y', 0.0, 'x')
>>> parse("tanh(x * )")
Traceback (most recent call last):
...
autograd.expression.ExpressionError: syntax error at column 10: expected a number, a name, a function call or '(', got ')'
"""
from __future__ import annotations

import contextlib
import difflib
import math
import numbers
import operator
import unicodedata
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .value import Value

MAX_LENGTH = 10_000   # characters of expression text
MAX_DEPTH = 100       # nested parentheses, calls, unary operators and right-hand sides of **
MAX_NODES = 5_000     # syntax-tree nodes (a drawing of more is unreadable anyway)

# name -> (fewest args, most args). leaky_relu/elu take an optional numeric slope/alpha.
FUNCTIONS: Dict[str, Tuple[int, int]] = {
    "exp": (1, 1), "log": (1, 1), "sqrt": (1, 1), "tanh": (1, 1), "sigmoid": (1, 1),
    "relu": (1, 1), "leaky_relu": (1, 2), "elu": (1, 2), "gelu": (1, 1),
    "softplus": (1, 1), "sin": (1, 1), "cos": (1, 1), "abs": (1, 1),
    "max": (2, 2), "min": (2, 2),
}
_METHOD = {"max": "maximum", "min": "minimum"}   # function name -> Value method
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
# Names people reach for that difflib cannot map to ours.
_HINTS = {"pow": "write a ** b", "ln": "log is the natural logarithm",
          "exp2": "write 2 ** x", "log10": "write log(x) / log(10)",
          "sqr": "write x ** 2", "square": "write x ** 2"}

_SINGLE = set("+-*/(),;=")
_DIGITS = frozenset("0123456789")


class ExpressionError(ValueError):
    """A problem with an expression, located in its text.

    `kind` is one of 'syntax', 'limit', 'unknown function', 'arity', 'name', 'unbound',
    'domain', 'gradient'. `position`/`end` are character offsets into `text` (None when the
    problem has no place, e.g. a gradient overflow). `missing` lists unbound variables.

    >>> err = ExpressionError("syntax", "unexpected character '$'", "x + $", 4)
    >>> print(err.caret())
    x + $
        ^
    """

    def __init__(self, kind: str, message: str, text: str, position: Optional[int],
                 end: Optional[int] = None, missing: Sequence[str] = ()) -> None:
        self.kind, self.message, self.text = kind, message, text
        self.position = position
        self.end = end if end is not None else (None if position is None else position + 1)
        self.missing = tuple(missing)
        if position is None:
            shown = message
        elif kind in ("syntax", "domain"):
            shown = f"{kind} error at {_place(text, position)}: {message}"
        else:
            shown = f"{message} (at {_place(text, position)})"
        super().__init__(shown)

    def caret(self, width: int = 76) -> str:
        """The line of text holding the position, and a caret line underneath ('' if no place)."""
        if self.position is None:
            return ""
        return _caret(self.text, self.position, self.end or self.position + 1, width)


def _place(text: str, position: int) -> str:
    if "\n" in text:
        return f"line {text.count(chr(10), 0, position) + 1}, column {_column(text, position)}"
    return f"column {_column(text, position)}"


def _column(text: str, position: int) -> int:
    return position - (text.rfind("\n", 0, position) + 1) + 1


def _cell_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _caret(text: str, start: int, end: int, width: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end]
    col = start - line_start
    span = max(1, min(end, line_end) - start)
    # Long lines: show a window around the caret so the display stays one screen wide.
    lo = max(0, min(col - width // 2, len(line) - width))
    hi = min(len(line), lo + width)
    prefix, suffix = ("..." if lo > 0 else ""), ("..." if hi < len(line) else "")
    # Control characters and tabs would break the alignment (or the terminal): show spaces.
    shown = "".join(c if c.isprintable() else " " for c in line[lo:hi])
    pad = len(prefix) + sum(_cell_width(c) for c in shown[:col - lo])
    marks = max(1, sum(_cell_width(c) for c in shown[col - lo:col - lo + span]))
    return f"{prefix}{shown}{suffix}\n{' ' * pad}{'^' * marks}"


# ---------------------------------------------------------------- tokens

class _Token:
    __slots__ = ("kind", "text", "start", "end", "value")

    def __init__(self, kind: str, text: str, start: int, end: int, value: Any = None) -> None:
        self.kind, self.text, self.start, self.end, self.value = kind, text, start, end, value

    def describe(self) -> str:
        if self.kind == "end":
            return "end of input"
        if self.kind == "num":
            return f"number {self.text}"
        if self.kind == "name":
            return f"name '{self.text}'"
        return f"'{self.text}'"


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch == "_" or ch in _DIGITS or ch.isalpha()


def tokenize(text: str) -> List[_Token]:
    """Split `text` into numbers, names and operators (the last token is 'end')."""
    tokens: List[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i = _number(text, i, tokens)
        elif _is_name_start(ch):
            j = i + 1
            while j < n and _is_name_char(text[j]):
                j += 1
            tokens.append(_Token("name", text[i:j], i, j))
            i = j
        elif ch == "*" and text.startswith("**", i):
            tokens.append(_Token("op", "**", i, i + 2))
            i += 2
        elif ch in _SINGLE:
            tokens.append(_Token("op", ch, i, i + 1))
            i += 1
        else:
            hint = {"^": " (write ** for a power)", "'": " (there are no strings)",
                    '"': " (there are no strings)", "[": " (use parentheses)",
                    "{": " (use parentheses)"}.get(ch, "")
            raise ExpressionError("syntax", f"unexpected character {ch!r}{hint}", text, i)
    tokens.append(_Token("end", "", n, n))
    return tokens


def _number(text: str, i: int, tokens: List[_Token]) -> int:
    n, j = len(text), i
    while j < n and text[j] in _DIGITS:
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j] in _DIGITS:
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k >= n or text[k] not in _DIGITS:
            raise ExpressionError("syntax", "malformed number: the exponent after 'e' needs "
                                  "digits (like 1e-3)", text, i, k)
        while k < n and text[k] in _DIGITS:
            k += 1
        j = k
    literal = text[i:j]
    value = float(literal)  # only ASCII digits, '.', 'e', sign reach here: always valid
    if math.isinf(value):
        raise ExpressionError("syntax", f"number {literal if len(literal) <= 20 else literal[:17] + '...'} is too large "
                              f"for a float",
                              text, i, j)
    tokens.append(_Token("num", literal, i, j, value))
    return j


# ---------------------------------------------------------------- syntax tree

class Node:
    """One syntax-tree node. `kind` is 'num', 'var', 'ref' (a statement's name), 'neg',
    'bin' (`op` in + - * / **) or 'call' (`op` is the function). `args` are child Nodes;
    `start`/`end` locate the node in the text; `constant` says no variable is involved."""

    __slots__ = ("kind", "op", "args", "value", "start", "end", "constant", "index")

    def __init__(self, kind: str, op: str, args: Tuple["Node", ...], value: Any,
                 start: int, end: int, constant: bool, index: int) -> None:
        self.kind, self.op, self.args, self.value = kind, op, args, value
        self.start, self.end, self.constant, self.index = start, end, constant, index

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.op or self.value!r}, [{self.start}:{self.end}])"


class Statement:
    """`name = root` (name is None for a bare expression)."""

    __slots__ = ("name", "root", "start", "end")

    def __init__(self, name: Optional[str], root: Node, start: int, end: int) -> None:
        self.name, self.root, self.start, self.end = name, root, start, end

    def __repr__(self) -> str:
        return f"Statement({self.name!r}, {self.root!r})"


class Program:
    """A parsed expression: `statements` (the last is the output), `variables` in first-use
    order, `names` assigned by statements, and every node children-first in `nodes`."""

    __slots__ = ("text", "nodes", "statements", "variables", "names")

    def __init__(self, text: str, nodes: List[Node], statements: List[Statement],
                 variables: Tuple[str, ...], names: Tuple[str, ...]) -> None:
        self.text, self.nodes, self.statements = text, nodes, statements
        self.variables, self.names = variables, names

    @property
    def output(self) -> Statement:
        return self.statements[-1]

    def source(self, node: Node) -> str:
        """The text a node was parsed from."""
        return self.text[node.start:node.end]

    def __repr__(self) -> str:
        return f"Program({self.text!r}, variables={self.variables})"


# ---------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str, max_depth: int, max_nodes: int) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.max_depth, self.max_nodes = max_depth, max_nodes
        self.nodes: List[Node] = []
        self.variables: Dict[str, int] = {}     # name -> position of first use
        self.defined: Dict[str, Node] = {}      # statement name -> its root

    # -- helpers
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Optional[_Token] = None, kind: str = "syntax") -> ExpressionError:
        tok = tok or self.tok
        return ExpressionError(kind, message, self.text, tok.start, max(tok.end, tok.start + 1))

    def at(self, text: str) -> bool:
        tok = self.tok
        return tok.kind == "op" and tok.text == text

    def node(self, kind: str, op: str, args: Tuple[Node, ...], value: Any, start: int,
             end: int, constant: bool) -> Node:
        if len(self.nodes) >= self.max_nodes:
            raise ExpressionError("limit", f"expression too large: more than {self.max_nodes} "
                                  f"nodes", self.text, start, end)
        node = Node(kind, op, args, value, start, end, constant, len(self.nodes))
        self.nodes.append(node)
        return node

    @contextlib.contextmanager
    def nested(self, opener: _Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error(f"expression nested too deeply: more than {self.max_depth} levels "
                             f"of parentheses, calls, signs or powers", opener, "limit")
        try:
            yield
        finally:
            self.depth -= 1

    # -- grammar
    def program(self) -> Program:
        statements: List[Statement] = []
        while True:
            statements.append(self.statement())
            if self.at(";"):
                self.i += 1
                if self.tok.kind == "end":     # one trailing ';' is allowed
                    break
                continue
            if self.tok.kind == "end":
                break
            raise self.unexpected_after_expression()
        names = tuple(s.name for s in statements if s.name)
        return Program(self.text, self.nodes, statements, tuple(self.variables), names)

    def unexpected_after_expression(self) -> ExpressionError:
        tok = self.tok
        if tok.kind == "op" and tok.text == "=":
            return self.error("'=' can only follow a name at the start of a statement "
                              "(write: name = expression; ...)")
        prev = self.tokens[self.i - 1]
        if prev.kind == "num" and tok.kind == "name" and prev.end == tok.start:
            hint = f" (write {prev.text}*{tok.text} for a product)"
        elif tok.kind in ("name", "num") or (tok.kind == "op" and tok.text == "("):
            hint = " (missing an operator?)"
        else:
            hint = ""
        return self.error(f"expected an operator, ';' or the end, got {tok.describe()}{hint}")

    def statement(self) -> Statement:
        tok = self.tok
        if tok.kind == "end" or (tok.kind == "op" and tok.text == ";"):
            raise self.error(f"expected an expression, got {tok.describe()}")
        nxt = self.tokens[self.i + 1]
        if tok.kind == "name" and nxt.kind == "op" and nxt.text == "=":
            name = tok.text
            self.check_assignable(tok)
            self.i += 2
            root = self.sum()
            if name in self.variables:  # `x = x*2`: its own right side used it as an input
                raise self.error(f"'{name}' is an input variable of this expression and cannot "
                                 f"also be assigned; pick a new name (like {name}2)", tok, "name")
            self.defined[name] = root
            return Statement(name, root, tok.start, root.end)
        root = self.sum()
        return Statement(None, root, root.start, root.end)

    def check_assignable(self, tok: _Token) -> None:
        name = tok.text
        if name in FUNCTIONS:
            raise self.error(f"'{name}' is a function and cannot be assigned", tok, "name")
        if name in self.defined:
            raise self.error(f"'{name}' is already assigned; pick a new name", tok, "name")
        if name in self.variables:
            raise self.error(f"'{name}' is already used as an input variable at column "
                             f"{_column(self.text, self.variables[name])}; pick a new name",
                             tok, "name")

    def sum(self) -> Node:
        left = self.product()
        while self.at("+") or self.at("-"):
            op = self.tok.text
            self.i += 1
            right = self.product()
            left = self.node("bin", op, (left, right), None, left.start, right.end,
                             left.constant and right.constant)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.at("*") or self.at("/"):
            op = self.tok.text
            self.i += 1
            right = self.unary()
            left = self.node("bin", op, (left, right), None, left.start, right.end,
                             left.constant and right.constant)
        return left

    def unary(self) -> Node:
        if self.at("-") or self.at("+"):
            tok = self.tok
            self.i += 1
            with self.nested(tok):
                operand = self.unary()
            if tok.text == "+":
                operand.start = tok.start   # +x is x; keep the span for error messages
                return operand
            if operand.kind == "num" and operand.value is not None:
                # Fold -3 into one constant (as Python does): drawings show a -3 leaf,
                # not neg(3). -2**2 is not folded: its operand is the power.
                operand.value = -operand.value
                operand.start = tok.start
                return operand
            return self.node("neg", "-", (operand,), None, tok.start, operand.end,
                             operand.constant)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.at("**"):
            self.i += 1
            with self.nested(self.tokens[self.i - 1]):
                exponent = self.unary()
            return self.node("bin", "**", (base, exponent), None, base.start, exponent.end,
                             base.constant and exponent.constant)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return self.node("num", "", (), tok.value, tok.start, tok.end, True)
        if tok.kind == "name":
            if self.tokens[self.i + 1].kind == "op" and self.tokens[self.i + 1].text == "(":
                return self.call()
            return self.name()
        if self.at("("):
            self.i += 1
            with self.nested(tok):
                inner = self.sum()
            if not self.at(")"):
                raise self.error(f"expected ')' to close the '(' at column "
                                 f"{_column(self.text, tok.start)}, got {self.tok.describe()}")
            self.i += 1
            # The parentheses belong to the span: "(a+b)" reads better in messages.
            inner.start, inner.end = tok.start, self.tokens[self.i - 1].end
            return inner
        raise self.error(f"expected a number, a name, a function call or '(', got "
                         f"{tok.describe()}")

    def name(self) -> Node:
        tok = self.tok
        name = tok.text
        self.i += 1
        if name in FUNCTIONS:
            raise self.error(f"'{name}' is a function: call it like {name}(x)", tok, "name")
        if name in self.defined:
            root = self.defined[name]
            return self.node("ref", name, (root,), None, tok.start, tok.end, root.constant)
        self.variables.setdefault(name, tok.start)
        return self.node("var", name, (), None, tok.start, tok.end, False)

    def call(self) -> Node:
        tok = self.tok
        name = tok.text
        if name not in FUNCTIONS:
            raise self.unknown_function(tok)
        self.i += 2   # name and '('
        args: List[Node] = []
        with self.nested(tok):
            if not self.at(")"):
                while True:
                    args.append(self.sum())
                    if self.at(","):
                        self.i += 1
                        continue
                    if self.at(")"):
                        break
                    raise self.error(f"expected ',' or ')' in the call to {name}, got "
                                     f"{self.tok.describe()}")
        end = self.tok.end
        self.i += 1
        lo, hi = FUNCTIONS[name]
        if not lo <= len(args) <= hi:
            wanted = f"{lo}" if lo == hi else f"{lo} or {hi}"
            s = "" if wanted == "1" else "s"
            raise ExpressionError("arity", f"{name} takes {wanted} argument{s}, got {len(args)}",
                                  self.text, tok.start, end)
        if len(args) == 2 and name in ("leaky_relu", "elu") and not args[1].constant:
            what = "negative slope" if name == "leaky_relu" else "alpha"
            raise ExpressionError("arity", f"{name}'s second argument ({what}) must be a "
                                  f"number, not an expression of variables",
                                  self.text, args[1].start, args[1].end)
        constant = all(a.constant for a in args)
        return self.node("call", name, tuple(args), None, tok.start, end, constant)

    def unknown_function(self, tok: _Token) -> ExpressionError:
        name = tok.text
        if name in self.defined or name in self.variables:
            hint = f"'{name}' is a {'name' if name in self.defined else 'variable'}, " \
                   f"not a function (write {name}*(...) for a product)"
        elif name in _HINTS:
            hint = _HINTS[name]
        else:
            close = difflib.get_close_matches(name.lower(), list(FUNCTIONS), n=3, cutoff=0.6)
            hint = (f"did you mean {' or '.join(close)}?" if close else
                    f"the functions are: {', '.join(FUNCTIONS)}")
        return ExpressionError("unknown function", f"unknown function '{name}': {hint}",
                               self.text, tok.start, tok.end)


def parse(text: str, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH,
          max_nodes: int = MAX_NODES) -> Program:
    """Parse expression text into a `Program`; raises `ExpressionError` on any problem."""
    if not isinstance(text, str):
        raise TypeError(f"parse needs a str, got {type(text).__name__}")
    if len(text) > max_length:
        raise ExpressionError("limit", f"expression too long: {len(text)} characters (the "
                              f"limit is {max_length})", text, None)
    return _Parser(text, max_depth, max_nodes).program()


# ---------------------------------------------------------------- evaluation

def evaluate(program: Union[Program, str], env: Mapping[str, Any]) -> Tuple[Value, Dict[str, Value]]:
    """Build the Value graph: (output node, {variable: its leaf}). Extra names in env are ignored.

    >>> out, leaves = evaluate("y = x**2 * 3", {"x": 2.0})
    >>> out.data, out.label, [p.label for p in out.parents[0].parents]
    (12.0, 'y', ['x'])
    """
    if isinstance(program, str):
        program = parse(program)
    missing = [v for v in program.variables if v not in env]
    if missing:
        first = next(n for n in program.nodes if n.kind == "var" and n.op == missing[0])
        listed = ", ".join(missing)
        raise ExpressionError("unbound", f"no value for {listed} (the expression's variables "
                              f"are {', '.join(program.variables)})", program.text,
                              first.start, first.end, missing=missing)
    leaves: Dict[str, Value] = {}
    for name in program.variables:
        x = env[name]
        if not isinstance(x, numbers.Real) or isinstance(x, bool):
            raise TypeError(f"the value of {name} must be a real number, got {x!r}")
        leaves[name] = Value(float(x), label=name)
    values: List[Any] = [None] * len(program.nodes)
    for node in program.nodes:
        try:
            values[node.index] = _apply(node, values, leaves)
        except (ArithmeticError, ValueError) as err:
            # DomainError, DivisionByZero, Overflow from the engine; ValueError from math
            # (e.g. sin(inf) after an overflow to inf).
            raise _domain_error(program, node, err, values) from None
    for statement in program.statements:
        if statement.name:
            v = values[statement.root.index]
            if not v.label:          # `y = x` aliases x: keep the leaf's own name
                v.label = statement.name
    return values[program.output.root.index], leaves


def _apply(node: Node, values: List[Any], leaves: Dict[str, Value]) -> Value:
    kind = node.kind
    if kind == "num":
        return Value(node.value)
    if kind == "var":
        return leaves[node.op]
    if kind == "ref":
        return values[node.args[0].index]
    operands = [values[a.index] for a in node.args]
    if kind == "neg":
        return -operands[0]
    if kind == "bin":
        a, b = operands
        if node.op != "**":
            return _ARITHMETIC[node.op](a, b)
        # A constant exponent is a number, so x**2 is one '**2' node with d/dx = 2x;
        # an exponent with variables makes a 'pow' node, differentiable in both.
        return a ** b.data if node.args[1].constant else a ** b
    name = node.op
    if len(operands) == 2 and name in ("leaky_relu", "elu"):
        return getattr(operands[0], name)(operands[1].data)
    return getattr(operands[0], _METHOD.get(name, name))(*operands[1:])


def _domain_error(program: Program, node: Node, err: Exception, values: List[Any]) -> ExpressionError:
    source = program.source(node)
    shown = source if len(source) <= 60 else source[:57] + "..."
    if hasattr(err, "op"):   # the engine's errors already name the op and the operand
        message = str(err)
    else:
        operands = ", ".join(repr(values[a.index].data) for a in node.args)
        message = f"{node.op or node.kind}: {err} for {operands}"
    return ExpressionError("domain", f"{message} in {shown}", program.text, node.start, node.end)


@contextlib.contextmanager
def gradient_errors(text: str = "") -> Iterator[None]:
    """Turn an arithmetic failure during backprop (a gradient too large for a float) into
    an `ExpressionError` of kind 'gradient'."""
    try:
        yield
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError) as err:
        raise ExpressionError("gradient", f"backprop failed: {err} (a gradient does not fit "
                              f"in a float at this point)", text, None) from None
