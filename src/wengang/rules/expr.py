"""The rule expression language: one definition, two evaluators.

A rule is written once as a tree of ``Expr`` nodes. The tree

* evaluates one case in plain Python (``eval``), exactly (ints, ``Fraction``), and records the
  values it compared so the explanation can be rendered from the trace;
* compiles to a Polars expression (``to_polars``) that screens millions of rows with the same
  semantics, null for null, fen for fen.

Why hand-written (see docs/decisions.md): no maintained library both traces a single evaluation for
a caseworker and compiles the same rule to a vectorised dataframe engine with exact rational
comparisons. The node set is small on purpose.

Semantics shared by both evaluators:

* missing facts are ``None``/null and propagate; ``&``/``|`` follow Kleene logic;
* an if-else whose condition is unknown is unknown (Polars would take the else branch; we don't);
* ratios are exact fractions; comparisons of fractions are done by cross-multiplication, so
  "不高于5.5%" holds at exactly 11/200 in Python and in Polars alike; a ratio over zero is unknown;
* money × rate is rounded half-up to the fen once (``RateOf``).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl

from wengang.money import format_yuan, times_rate_down, times_rate_half_up
from wengang.rules import interpretations

# ---------------------------------------------------------------------------------------------
# evaluation contexts


@dataclass(slots=True)  # one per run and per reading probe (~30 for a 稳岗返还 case): cheap to make and read
class EvalContext:
    """Everything a one-case evaluation reads."""

    facts: Mapping[str, Any]
    params: Mapping[str, Any]  # name -> policies.Param (anything with .value)
    settings: Mapping[str, Any]  # region settings the operator supplies
    readings: Mapping[str, str]  # interpretation switch -> reading key
    missing_settings: set[str] = field(default_factory=set)
    read_settings: dict[str, None] = field(default_factory=dict)  # settings this evaluation read (cited)
    # switches whose Reading nodes were evaluated (in order) and those whose readings gave different
    # values here ("live"): only live switches can change this case's outcome
    reached: dict[str, None] = field(default_factory=dict)
    live: dict[str, None] = field(default_factory=dict)
    # value of each node evaluated so far, by node id: rules share sub-expressions (稳岗返还 evaluated ~45 %
    # of its nodes twice or more). A node's value depends only on this context, and what evaluating it
    # records (settings read, switches reached or live) is recorded the first time. It is also the trace
    # the explanation is rendered from: a comparison's operands are its children's values.
    values: dict[int, Any] = field(default_factory=dict)
    # values of nodes with no Reading below, from any evaluation of the same case (facts, parameters and
    # settings) under any readings: such a node has the same value under every reading, and records nothing
    # a probe or another reading's run reads (only the first, traced run's settings read are reported, so
    # that run does not take from here). ``shared`` is where this evaluation adds the ones it computes.
    base: Mapping[int, Any] | None = None
    shared: dict[int, Any] | None = None
    # a reading's probe: the values of the evaluation it probes from (same readings), read through rather
    # than copied (a 稳岗返还 case probed ~28 times, each copying a dictionary of ~400 values)
    parent: Mapping[int, Any] | None = None
    # another reading's run of the case (engine.evaluate_resolved): the first, traced run's values, and the switches
    # whose reading here differs from that run's. A node none of whose switches is among them has the traced value
    # (its value is a function of the facts, parameters, settings and the readings of the switches below it), so only
    # the nodes above a changed reading are evaluated again
    trace: Mapping[int, Any] | None = None
    changed: frozenset[str] = frozenset()


@dataclass
class CompileContext:
    params: Mapping[str, Any]
    settings: Mapping[str, Any]
    readings: Mapping[str, str]
    # facts the table lacks: compiled as their default value (a literal), not materialised as columns
    absent: Mapping[str, Any] = field(default_factory=dict)
    # sub-expressions shared between the compiled expressions, computed once as columns (batch compiler)
    shared: SharedNodes | None = None
    # columns known to hold no null on any row (an in-memory table's null counts, or what the caller's
    # validation guarantees): a check on them cannot be unknown, so its unknown branches are not compiled
    non_null: frozenset[str] = frozenset()
    # narrow integer columns (Int8/16/32, UInt8/16) with bounds every non-null value keeps, ``lo <= v <= hi``, and
    # the column's dtype name (an in-memory table's minimum and maximum, widened: ``known_ranges``): a comparison of
    # such a column times a constant is computed in a narrow type when the product cannot overflow it, and a ratio
    # over a denominator known to be at least 1 needs no zero guard. Same values, no widening to Int64 per row.
    ranges: Mapping[str, tuple[int, int, str]] = field(default_factory=dict)
    # where the compiler records the columns whose ``ranges`` it would have used, each with whether their minimum
    # matters (a denominator's: is it at least 1?) or only their magnitude (a product's) (None: not recorded)
    range_wants: dict[str, bool] | None = None
    # text the rules only pass along and compare with fixed values (the size classes and their steps), compiled as
    # small-integer codes (:func:`text_codes`); None: every text is compiled as text
    codes: Mapping[int, tuple[str, ...]] | None = None
    # columns typed as an Enum: the texts each can hold (its categories). A membership test of such a column against a
    # set holding all of them (or none) is known on every row where the column has no null: not compiled per row
    enums: Mapping[str, frozenset[str]] = field(default_factory=dict)


class RuleDefinitionError(Exception):
    """A rule refers to something its policy does not provide (a programming or policy-file error)."""


# ---------------------------------------------------------------------------------------------
# formatting hints (how a value is shown in explanations)

PERCENT = "percent"
MONEY = "money"
COUNT = "count"
MONTHS = "months"
BOOL = "bool"
TEXT = "text"
PERSONS = "persons"
DATE = "date"
YEARS = "years"


def format_value(value: Any, fmt: str | None) -> str:
    if value is None:
        return "未知"
    if isinstance(value, bool) or fmt == BOOL:
        return "是" if value else "否"
    # (a fraction is tested for only when no format is given: Fraction's isinstance is an ABC check)
    if fmt == PERCENT or fmt is None and isinstance(value, Fraction):
        pct = Fraction(value) * 100
        if pct.denominator == 1:
            return f"{pct.numerator}%"
        return f"{float(pct):.2f}".rstrip("0").rstrip(".") + "%"
    if fmt == MONEY:
        if isinstance(value, Fraction) and value.denominator != 1:  # an exact share of an amount (5 % of a balance)
            return _exact_yuan(value)
        return format_yuan(int(value))
    if fmt == MONTHS:
        return f"{value}个月"
    if fmt == PERSONS:
        if isinstance(value, Fraction) and value.denominator != 1:  # a monthly average: display only, compared exactly
            return f"{float(value):.2f}".rstrip("0").rstrip(".") + "人"
        return f"{value}人"
    if fmt == YEARS:
        if isinstance(value, Fraction) and value.denominator != 1:
            return f"{float(value):g}年"  # display only; comparisons stay exact
        return f"{value}年"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    return str(value)


def _exact_yuan(fen: Fraction) -> str:
    """A fraction of a fen shown exactly in yuan where it ends (617,283.945元), else to a hundredth of a fen (≈)."""
    from decimal import Decimal

    exact = Decimal(fen.numerator) / Decimal(fen.denominator) / 100
    if Fraction(exact) * 100 == fen:
        whole, _, frac = f"{exact:f}".partition(".")
        return f"{int(whole):,}.{frac.ljust(2, '0')}元"
    return f"≈{exact.quantize(Decimal('0.0001')):,}元"


# ---------------------------------------------------------------------------------------------
# nodes


class Expr:
    """Base node. Subclasses implement ``_eval`` and ``_polars``; fraction-valued nodes also ``_frac``."""

    label: str | None = None
    fmt: str | None = None
    is_fraction: bool = False

    # -- construction helpers ----------------------------------------------------------------
    def named(self, label: str, fmt: str | None = None) -> Expr:
        self.label = label
        if fmt is not None:
            self.fmt = fmt
        return self

    def __add__(self, other: Any) -> Expr:
        return Arith("+", self, lift(other))

    def __radd__(self, other: Any) -> Expr:
        return Arith("+", lift(other), self)

    def __sub__(self, other: Any) -> Expr:
        return Arith("-", self, lift(other))

    def __rsub__(self, other: Any) -> Expr:
        return Arith("-", lift(other), self)

    def __mul__(self, other: Any) -> Expr:
        return Arith("*", self, lift(other))

    def __rmul__(self, other: Any) -> Expr:
        return Arith("*", lift(other), self)

    def __truediv__(self, other: Any) -> Expr:
        return Ratio(self, lift(other))

    def __lt__(self, other: Any) -> Expr:  # type: ignore[override]
        return Cmp("<", self, lift(other))

    def __le__(self, other: Any) -> Expr:  # type: ignore[override]
        return Cmp("<=", self, lift(other))

    def __gt__(self, other: Any) -> Expr:  # type: ignore[override]
        return Cmp(">", self, lift(other))

    def __ge__(self, other: Any) -> Expr:  # type: ignore[override]
        return Cmp(">=", self, lift(other))

    def eq(self, other: Any) -> Expr:
        return Cmp("==", self, lift(other))

    def ne(self, other: Any) -> Expr:
        return Cmp("!=", self, lift(other))

    def __and__(self, other: Any) -> Expr:
        return And(self, lift(other))

    def __or__(self, other: Any) -> Expr:
        return Or(self, lift(other))

    def __invert__(self) -> Expr:
        return Not(self)

    def isin(self, values: Iterable[Any] | Expr) -> Expr:
        return IsIn(self, values if isinstance(values, Expr) else Lit(frozenset(values)))

    def is_missing(self) -> Expr:
        return IsMissing(self)

    def otherwise_if_missing(self, default: Any) -> Expr:
        return Coalesce(self, lift(default))

    __hash__ = object.__hash__  # nodes are identities; == builds an expression via .eq()

    # -- evaluation ----------------------------------------------------------------------------
    def eval(self, ctx: EvalContext) -> Any:
        key = id(self)
        values = ctx.values
        value = values.get(key, _UNSEEN)
        if value is not _UNSEEN:
            return value
        parent = ctx.parent
        if parent is not None:
            value = parent.get(key, _UNSEEN)
            if value is not _UNSEEN:
                values[key] = value
                return value
        base = ctx.base
        if base is not None:
            value = base.get(key, _UNSEEN)  # holds only nodes with no Reading below
            if value is not _UNSEEN:
                values[key] = value
                return value
        trace = ctx.trace
        if trace is not None:
            value = trace.get(key, _UNSEEN)
            if value is not _UNSEEN and ctx.changed.isdisjoint(self.switches_below()):
                values[key] = value
                return value
        value = values[key] = self._eval(ctx)
        shared = ctx.shared
        if shared is not None:
            found = self._has_reading
            if found is None:
                found = self.has_reading()
            if not found:
                shared[key] = value
        return value

    _has_reading: bool | None = None  # set per node by has_reading()

    def switches_below(self) -> frozenset[str]:
        """The switches of every reading at or below this node, whichever option a document or reading chooses (so
        never fewer than :func:`switches_in` finds for any policy; cached: nodes are not changed once built)."""
        found = self.__dict__.get("_switches_below")
        if found is None:
            found = self.__dict__["_switches_below"] = frozenset(n.switch for n in self.walk() if isinstance(n, Reading))
        return found

    def has_reading(self) -> bool:
        """Is there an interpretation switch anywhere below (cached: nodes are not changed once built)?"""
        found = self._has_reading
        if found is None:
            found = self._has_reading = bool(self.switches_below())
        return found

    def _eval(self, ctx: EvalContext) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_polars(self, ctx: CompileContext) -> pl.Expr:
        if ctx.shared is not None:
            return ctx.shared.compile(self, ctx)
        return self._polars(ctx)

    def _polars(self, ctx: CompileContext) -> pl.Expr:  # pragma: no cover - abstract
        raise NotImplementedError

    def fraction_in(self, ctx: CompileContext) -> bool:
        """Is the node fraction-valued in this compilation? ``is_fraction`` says so from the rule's definition; a
        parameter or setting of another unit may still be given a fraction (``fund_reserve_years=1.5`` is 3/2 年),
        known only once the values are: a comparison or sum over it then takes the exact fraction path."""
        return self.is_fraction

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        """(numerator, denominator) Polars expressions of a fraction-valued node. The fraction is unknown exactly
        when the numerator is null: the denominator of an unknown fraction may be anything (every use
        multiplies or divides by the numerator, which carries the null), so it needs no guard of its own."""
        return self._polars(ctx), _const(1)

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self) -> Iterator[Expr]:
        """Each node once, in pre-order. Rules share sub-expressions (a reading's variants reuse the same
        terms), so visiting every path repeated nodes ~50× (32,777 visits for 661 nodes in 稳岗返还 v2024)."""
        nodes = self.__dict__.get("_nodes")
        if nodes is None:
            seen: set[int] = set()
            order: list[Expr] = []
            stack: list[Expr] = [self]
            while stack:
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                order.append(node)
                stack.extend(reversed(node.children()))
            nodes = self.__dict__["_nodes"] = tuple(order)  # nodes are not changed once built
        return iter(nodes)

    def show(self) -> str:
        return self.label or self._show()

    def _show(self) -> str:
        return type(self).__name__


_UNSEEN: Any = object()  # no value computed yet (None is a value: unknown)


# Literals remember their Python value, so the compiler can fold what the policy fixes: ×1, +0, a branch
# on a constant condition, a coalesce with a null (the compiled plan of a rule had a dozen of each per row).
_CONST_ATTR = "_wengang_value"
_NOT_CONST: Any = object()


def known_literal(e: pl.Expr, value: Any) -> pl.Expr:
    setattr(e, _CONST_ATTR, value)
    return e


def _const(n: int) -> pl.Expr:
    return known_literal(pl.lit(n, dtype=pl.Int64), n)


def literal(value: Any) -> pl.Expr:
    """``pl.lit(value)`` that the compiler can fold."""
    return known_literal(pl.lit(value), value)


def _known_value(e: pl.Expr) -> Any:
    return getattr(e, _CONST_ATTR, _NOT_CONST)


# Compiled expressions also remember when they can be null on no row (``CompileContext.non_null``, propagated
# through every node that keeps it): an if-else on such a condition needs no null branch, a missing-test on
# it is false, a check on it is never unknown. Only a marked expression is trusted; any other may be null.
_NON_NULL_ATTR = "_wengang_non_null"


def never_null(e: pl.Expr) -> pl.Expr:
    """Mark ``e`` as null on no row."""
    setattr(e, _NON_NULL_ATTR, True)
    return e


# A compiled ``~a`` remembers ``a``: the batch compiler's "is this check refused" is ``~check``, which for a check
# ``~column`` is the column itself, read as it is rather than negated twice (s22-h2).
_NEGATES_ATTR = "_wengang_negates"


def negation_of(e: pl.Expr, a: pl.Expr) -> pl.Expr:
    setattr(e, _NEGATES_ATTR, a)
    return e


def negated(e: pl.Expr) -> pl.Expr | None:
    """``a`` when ``e`` was compiled as ``~a``, else None."""
    return getattr(e, _NEGATES_ATTR, None)


def is_never_null(e: pl.Expr) -> bool:
    """Is ``e`` known to be null on no row (marked, or a literal that is not null)?"""
    if getattr(e, _NON_NULL_ATTR, False):
        return True
    known = _known_value(e)
    return known is not _NOT_CONST and known is not None


def _keep_non_null(out: pl.Expr, *inputs: pl.Expr) -> pl.Expr:
    """``out``, marked never null when all of ``inputs`` are (an operation that is null only on a null input)."""
    return never_null(out) if all(is_never_null(e) for e in inputs) else out


def _value(e: pl.Expr) -> int | None:
    """The integer a literal holds (not a bool), else None."""
    v = _known_value(e)
    return v if type(v) is int else None


# A fact column compiled with a known range (``CompileContext.ranges``) remembers it, (lo, hi, dtype name), and its
# name; so does a product of it and a constant that ``_narrow_mul`` computed in a narrow type.
_RANGE_ATTR = "_wengang_range"
_FACT_ATTR = "_wengang_fact"
_ENUM_ATTR = "_wengang_enum"  # a fact column typed as an Enum: the texts it can hold (``CompileContext.enums``)
# the narrow types a product may be computed in: a signed column keeps its own, else Int32 (a wider type is what
# Polars widens an Int64 constant's product to anyway)
_NARROW = {"Int8": (-(2**7), 2**7 - 1), "Int16": (-(2**15), 2**15 - 1), "Int32": (-(2**31), 2**31 - 1)}
RANGE_DTYPES = frozenset({"Int8", "Int16", "Int32", "UInt8", "UInt16"})


def _range(e: pl.Expr) -> tuple[int, int, str] | None:
    return getattr(e, _RANGE_ATTR, None)


def _want_range(ctx: CompileContext, e: pl.Expr, minimum: bool = False) -> None:
    """Note that a range of the fact column ``e`` (if it is one, and has none) would have been used; ``minimum``:
    whether it is at least 1 (a denominator), not only its magnitude (a product)."""
    name = getattr(e, _FACT_ATTR, None)
    if name is not None and ctx.range_wants is not None and _range(e) is None:
        ctx.range_wants[name] = ctx.range_wants.get(name, False) or minimum


def _narrow_mul(ctx: CompileContext, a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """``_mul(a, b)`` for an operand of a comparison: a column of known range times a constant is computed in
    the column's own signed type (or Int32) when no value's product can leave it, instead of Polars widening the
    column to the constant's Int64 first. Exact: every product fits the narrow type. Only a comparison reads it
    (a sum of two narrow products could still overflow)."""
    va, vb = _value(a), _value(b)
    if (va is None) == (vb is None):
        return _mul(a, b)
    x, v = (b, va) if va is not None else (a, vb)
    assert v is not None
    found = _range(x)
    if v in (0, 1):
        return _mul(a, b)
    if found is None:
        _want_range(ctx, x)
        return _mul(a, b)
    lo, hi, dtype = found
    plo, phi = sorted((lo * v, hi * v))
    for name in (dtype, "Int32"):
        bounds = _NARROW.get(name)
        if bounds is not None and bounds[0] <= min(plo, v) and max(phi, v) <= bounds[1]:
            out = _keep_non_null(x * pl.lit(v, dtype=getattr(pl, name)), x)
            setattr(out, _RANGE_ATTR, (plo, phi, name))
            return out
    return _mul(a, b)


def _mul(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    va, vb = _value(a), _value(b)
    if va is not None and vb is not None:
        return _const(va * vb)
    if va == 1:
        return b
    if vb == 1:
        return a
    return _keep_non_null(a * b, a, b)


def _add(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    va, vb = _value(a), _value(b)
    if va is not None and vb is not None:
        return _const(va + vb)
    if va == 0:
        return b
    if vb == 0:
        return a
    return _keep_non_null(a + b, a, b)


# Text the rules only pass along (coalesce, if-else, a reading's options) and compare with fixed values (``==`` and
# ``!=`` a literal or a parameter, ``isin`` a fixed set, missing or not) can be compiled as small integers: each text
# a rule names has a code 1…n (its place in the family's *code book*), any other text 0, a null stays null. Every
# comparison with a named text gives the same truth value on the codes, null for null: two texts the book does not
# name both have code 0, but no rule compares such a text with anything but a named one. The 划型 of 内人社发〔2025〕18号
# passed four class columns and the step column through dozens of coalesces and branches per reading, each copying
# text (≈ 0.25 CPU-s of the 1 M open decide step); on codes each is a pass over one byte a row. A column is coded
# once (a chain of equality tests, ≈ 6 ms at 1 M rows for four texts), staged before everything that reads it.
_CODES_ATTR = "_wengang_codes"
CODE_DTYPE = pl.UInt8
_MAX_BOOK = 16  # coding a column costs one equality test per text of its book: a family naming more stays text


def _book_of(e: pl.Expr) -> tuple[str, ...] | None:
    return e.__dict__.get(_CODES_ATTR)  # (not getattr: Polars' fallback for a missing attribute costs µs a call)


def _with_book(e: pl.Expr, book: tuple[str, ...]) -> pl.Expr:
    setattr(e, _CODES_ATTR, book)
    return e


def _code(value: str, book: tuple[str, ...]) -> int:
    return book.index(value) + 1 if value in book else 0


@functools.cache
def _code_lit(code: int) -> pl.Expr:  # (a typed literal costs ≈ 20 µs to build; these carry no marks)
    return pl.lit(code, dtype=CODE_DTYPE)


@functools.cache
def _code_value(value: str | None, book: tuple[str, ...]) -> pl.Expr:
    """The literal ``value`` as codes, marked with its text and its book (built once: the marks follow the key)."""
    code = pl.lit(None, dtype=CODE_DTYPE) if value is None else pl.lit(_code(value, book), dtype=CODE_DTYPE)
    return _with_book(known_literal(code, value), book)


def encoded(e: pl.Expr, book: tuple[str, ...]) -> pl.Expr:
    """The codes of the text expression ``e`` (null where it is null): ``book``'s texts tested in turn."""
    out = _code_lit(0)
    for i in reversed(range(len(book))):
        out = pl.when(e == book[i]).then(_code_lit(i + 1)).otherwise(out)
    return pl.when(e.is_not_null()).then(out)


def _coded(e: pl.Expr, book: tuple[str, ...], ctx: CompileContext) -> pl.Expr:
    """``e`` (a member of a coded family, compiled) as codes: already coded, a literal (its value kept), or a fact's
    column, coded once for the plan (staged where the plan shares its nodes). A column is coded only when a coalesce
    or an if-else that the policy leaves in the plan reads it: compared only, it stays text (one test a row)."""
    if _book_of(e) is not None:
        return e
    value = _known_value(e)
    if value is None or isinstance(value, str):
        return _code_value(value, book)
    fact = getattr(e, _FACT_ATTR, None)
    if fact is not None and ctx.shared is not None:
        return ctx.shared.coded_column(fact, book, is_never_null(e))
    return _with_book(_keep_non_null(encoded(e, book), e), book)


def _code_values(values: Iterable[Any], book: tuple[str, ...]) -> list[int]:
    return [_code(v, book) for v in values if v is not None]


def text_codes(
    roots: Iterable[Expr], params: Mapping[str, Any], settings: Mapping[str, Any], absent: Iterable[str]
) -> dict[int, tuple[str, ...]]:
    """The text of ``roots`` that can be compiled as codes under the document's ``params``, and the code books.

    Nodes that pass a value along unchanged are one *family* with it (a coalesce and both its parts, an if-else
    and both branches, a reading, the document's choice or a note and their options), as are both sides of an
    ``==`` / ``!=`` and every fact of one name. A family is coded when all of it is text (text facts, text or null
    literals and parameters), something in it passes text along (a coalesce or an if-else: only there does text
    cost a copy a row), it holds a fact of the table, and what reads it only compares it with fixed texts: ``==`` or
    ``!=`` against a literal or parameter (never two columns: texts outside the book would compare equal), ``isin``
    a fixed set, or a missing-test. Its book: the texts it is compared with (a text it only passes along, such as a
    coalesce's ``""``, equals none of them: code 0 is exact for it). Returns node id → its family's book (sorted
    texts; code ``i + 1`` is ``book[i]``, 0 any other text)."""
    nodes: dict[int, Expr] = {}
    stack = list(roots)
    while stack:  # what the document can evaluate: its own choices only (as switches_in)
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        if isinstance(node, ByParam):
            stack.append(node.choose(params))
        elif isinstance(node, Reading) and node.fixed_by is not None and node.fixed_by in params:
            stack.append(node.choose(params, {}))
        else:
            stack.extend(node.children())
    up: dict[int, int] = {}

    def find(i: int) -> int:
        while up.get(i, i) != i:
            up[i] = up.get(up[i], up[i])
            i = up[i]
        return i

    def union(a: Expr, b: Expr) -> None:
        ra, rb = find(id(a)), find(id(b))
        if ra != rb:
            up[ra] = rb

    fixed = (Lit, Param, Setting)  # known when compiling

    def value(node: Expr) -> Any:
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Setting):
            return settings.get(node.name)
        return getattr(params.get(node.name), "value", None)  # type: ignore[attr-defined]

    bad: set[int] = {id(r) for r in roots}  # nodes whose family something else reads
    named: dict[int, set[Any]] = {}  # the texts each node is compared with
    facts: dict[str, Expr] = {}
    for node in nodes.values():
        if isinstance(node, Fact):
            union(node, facts.setdefault(node.name, node))
        elif isinstance(node, Coalesce):
            union(node, node.a)
            union(node, node.default)
        elif isinstance(node, IfElse):
            union(node, node.then)
            union(node, node.otherwise)
            bad.add(id(node.cond))
        elif isinstance(node, (Reading, ByParam, Note)):
            for child in node.children():
                if id(child) in nodes:
                    union(node, child)
        elif isinstance(node, Cmp) and node.op in ("==", "!="):
            union(node.a, node.b)
            for x, y in ((node.a, node.b), (node.b, node.a)):
                if isinstance(y, fixed):
                    named.setdefault(id(x), set()).add(value(y))
            if not isinstance(node.a, fixed) and not isinstance(node.b, fixed):
                bad.add(id(node.a))
        elif isinstance(node, IsIn):
            if isinstance(node.values, Lit) and isinstance(node.values.value, frozenset):
                named.setdefault(id(node.a), set()).update(node.values.value)
            elif isinstance(node.values, Param) and node.values.name in params:
                named.setdefault(id(node.a), set()).update(params[node.values.name].value)
            else:
                bad.add(id(node.a))
            bad.add(id(node.values))
        elif not isinstance(node, IsMissing):
            bad.update(id(c) for c in node.children())
    families: dict[int, list[Expr]] = {}
    for i, node in nodes.items():
        families.setdefault(find(i), []).append(node)
    gone = set(absent)
    out: dict[int, tuple[str, ...]] = {}
    for members in families.values():
        if not any(isinstance(m, (Coalesce, IfElse)) for m in members):
            continue
        if not any(isinstance(m, Fact) and m.name not in gone for m in members):
            continue
        texts: set[Any] = set()
        ok = True
        for m in members:
            if id(m) in bad:
                ok = False
            elif isinstance(m, Fact):
                ok = m.fmt == TEXT
            elif isinstance(m, fixed):
                ok = value(m) is None or isinstance(value(m), str)
            else:
                ok = isinstance(m, (Coalesce, IfElse, Reading, ByParam, Note))
            if not ok:
                break
            texts.update(named.get(id(m), ()))
        texts.discard(None)
        if not ok or not all(isinstance(t, str) for t in texts) or len(texts) > _MAX_BOOK:
            continue
        book = tuple(sorted(texts))
        out.update(dict.fromkeys(map(id, members), book))
    return out


def lift(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Lit(value)


class Lit(Expr):
    def __init__(self, value: Any, fmt: str | None = None):
        self.value = value
        self.fmt = fmt
        self.is_fraction = isinstance(value, Fraction)

    def eval(self, ctx: EvalContext) -> Any:
        # not kept in ``ctx.values`` (a dictionary store and look-up cost more than the value): the
        # explanation reads a literal's value from the node (wengang.rules.engine._trace_value)
        return self.value

    def _eval(self, ctx: EvalContext) -> Any:
        return self.value

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        if isinstance(self.value, Fraction):
            raise RuleDefinitionError("fraction literal used outside a fraction context")
        if isinstance(self.value, frozenset):
            raise RuleDefinitionError("set literal used outside isin")
        return literal(self.value)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        f = Fraction(self.value)
        return _const(f.numerator), _const(f.denominator)

    def _show(self) -> str:
        return format_value(self.value, self.fmt)


class Fact(Expr):
    """A field of the case's facts (a column in screening)."""

    def __init__(self, name: str, label: str | None = None, fmt: str | None = None):
        self.name = name
        self.label = label
        self.fmt = fmt

    def eval(self, ctx: EvalContext) -> Any:
        # not kept in ``ctx.values``: reading the facts again costs less (wengang.rules.engine._trace_value)
        return ctx.facts.get(self.name)

    def _eval(self, ctx: EvalContext) -> Any:
        return ctx.facts.get(self.name)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        if self.name in ctx.absent:
            return ctx.absent[self.name]
        e = never_null(pl.col(self.name)) if self.name in ctx.non_null else pl.col(self.name)
        setattr(e, _FACT_ATTR, self.name)
        found = ctx.ranges.get(self.name)
        if found is not None:
            setattr(e, _RANGE_ATTR, found)
        held = ctx.enums.get(self.name)
        if held is not None:
            setattr(e, _ENUM_ATTR, held)
        return e

    def _show(self) -> str:
        return self.name


def _param_value(ctx: EvalContext | CompileContext, name: str) -> Any:
    try:
        return ctx.params[name].value
    except KeyError:
        raise RuleDefinitionError(f"policy does not provide parameter {name!r}") from None


class Param(Expr):
    """A parameter set by the policy document in force (carries its own citation)."""

    def __init__(self, name: str, label: str | None = None, fmt: str | None = None, fraction: bool = False):
        self.name = name
        self.label = label
        self.fmt = fmt
        self.is_fraction = fraction or fmt == PERCENT

    def eval(self, ctx: EvalContext) -> Any:
        # a parameter's value is the document's, the same for the whole evaluation: read it again rather than
        # keep it in ``ctx.values`` (the explanation does the same, wengang.rules.engine._trace_value)
        return self._eval(ctx)

    def _eval(self, ctx: EvalContext) -> Any:
        return _param_value(ctx, self.name)

    def fraction_in(self, ctx: CompileContext) -> bool:
        p = ctx.params.get(self.name)
        return self.is_fraction or (p is not None and isinstance(p.value, Fraction) and p.value.denominator != 1)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        value = _param_value(ctx, self.name)
        if isinstance(value, Fraction) and value.denominator == 1 and not self.is_fraction:
            return literal(int(value))  # a whole number given as a fraction (a what-if of 2 年 read as 2/1)
        if isinstance(value, Fraction):
            if not self.is_fraction:
                # known exactly where it is folded (IsMissing, a comparison of two fixed values); a comparison
                # with a column takes the fraction path (``fraction_in``), never this float
                return known_literal(pl.lit(float(value)), value)
            raise RuleDefinitionError(f"fraction parameter {self.name} used outside a fraction context")
        if isinstance(value, (list, tuple, set, frozenset)):
            raise RuleDefinitionError(f"list parameter {self.name} used outside isin")
        return literal(value)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        f = Fraction(_param_value(ctx, self.name))
        return _const(f.numerator), _const(f.denominator)

    def _show(self) -> str:
        return self.name


class OptionalParam(Param):
    """A parameter that the document in force may lack (e.g. one with its own shorter period): unknown then.

    Both evaluators agree: ``None`` in Python, a null literal in Polars. Used only in a branch that the
    facts cannot reach when the parameter is absent (the 2019 hardship standard in 2020).
    """

    def _eval(self, ctx: EvalContext) -> Any:
        p = ctx.params.get(self.name)
        return None if p is None else p.value

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        if self.name not in ctx.params:
            return known_literal(pl.lit(None, dtype=pl.Int64), None)
        return super()._polars(ctx)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        if self.name not in ctx.params:
            return pl.lit(None, dtype=pl.Int64), pl.lit(None, dtype=pl.Int64)
        return super().frac(ctx)


class Setting(Expr):
    """A figure a text names but does not give: the operator supplies it per region."""

    def __init__(self, name: str, label: str | None = None, fmt: str | None = None, fraction: bool = False):
        self.name = name
        self.label = label
        self.fmt = fmt
        self.is_fraction = fraction or fmt == PERCENT

    def _eval(self, ctx: EvalContext) -> Any:
        value = ctx.settings.get(self.name)
        ctx.read_settings[self.name] = None
        if value is None:
            ctx.missing_settings.add(self.name)
        return value

    def fraction_in(self, ctx: CompileContext) -> bool:
        value = ctx.settings.get(self.name)
        return self.is_fraction or (isinstance(value, Fraction) and value.denominator != 1)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        value = ctx.settings.get(self.name)
        if isinstance(value, Fraction) and value.denominator == 1 and not self.is_fraction:
            return literal(int(value))
        if isinstance(value, Fraction):
            if not self.is_fraction:
                # fund_reserve_years=1.5 (a number of years, not a rate): known exactly where it is folded
                # (IsMissing, a comparison with a parameter); a comparison with a column takes the fraction path
                return known_literal(pl.lit(float(value)), value)
            raise RuleDefinitionError(f"fraction setting {self.name} used outside a fraction context")
        return literal(value)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        value = ctx.settings.get(self.name)
        if value is None:
            return pl.lit(None, dtype=pl.Int64), pl.lit(None, dtype=pl.Int64)
        f = Fraction(value)
        return _const(f.numerator), _const(f.denominator)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}


class Arith(Expr):
    def __init__(self, op: str, a: Expr, b: Expr):
        self.op, self.a, self.b = op, a, b
        self.is_fraction = a.is_fraction or b.is_fraction
        self.fmt = a.fmt if a.fmt == b.fmt or b.fmt is None else None

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)

    def _eval(self, ctx: EvalContext) -> Any:
        x, y = self.a.eval(ctx), self.b.eval(ctx)
        if x is None or y is None:
            return None
        return _ARITH[self.op](x, y)

    def fraction_in(self, ctx: CompileContext) -> bool:
        return self.is_fraction or self.a.fraction_in(ctx) or self.b.fraction_in(ctx)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        if self.fraction_in(ctx):
            raise RuleDefinitionError("fraction arithmetic used outside a fraction context")
        a, b = self.a.to_polars(ctx), self.b.to_polars(ctx)
        return _keep_non_null(_ARITH[self.op](a, b), a, b)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        an, ad = self.a.frac(ctx)
        bn, bd = self.b.frac(ctx)
        if self.op == "*":
            return _mul(an, bn), _mul(ad, bd)
        other = _mul(bn, ad)
        return _add(_mul(an, bd), other if self.op == "+" else _mul(_const(-1), other)), _mul(ad, bd)

    def _show(self) -> str:
        return f"{self.a.show()} {self.op} {self.b.show()}"


class Ratio(Expr):
    """An exact ratio; unknown when the denominator is zero or missing."""

    is_fraction = True

    def __init__(self, num: Expr, den: Expr, label: str | None = None):
        self.num, self.den = num, den
        self.label = label
        self.fmt = PERCENT

    def children(self) -> tuple[Expr, ...]:
        return (self.num, self.den)

    def _eval(self, ctx: EvalContext) -> Any:
        n, d = self.num.eval(ctx), self.den.eval(ctx)
        if n is None or d is None or d == 0:
            return None
        return Fraction(n) / Fraction(d)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        raise RuleDefinitionError("a ratio must be compared or multiplied, not used as a plain column")

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        nn, nd = self.num.frac(ctx)
        dn, dd = self.den.frac(ctx)
        num, den = _mul(nn, dd), _mul(nd, dn)
        if _value(den) not in (None, 0):  # a constant, non-zero denominator needs no guard
            return num, den
        found = _range(den)
        if found is not None and found[0] >= 1:  # a column known to be at least 1 on every row: nor does it
            return num, den
        _want_range(ctx, den, minimum=True)
        # a zero denominator makes the ratio unknown, as in Python (a null numerator: see ``Expr.frac``)
        nonzero = den != 0
        return _guarded(pl.when(nonzero).then(num), nonzero, num), den


# A numerator null where a guard is not true (a ratio's denominator is zero): ``when(guard).then(num)``, which
# remembers its parts. A comparison or RateOf reading it as it is computes over ``num`` and applies the guard to
# its own result instead (null where the guard is not true, as before): the arithmetic then runs on the plain
# column, not on a materialised null-masked copy of it, and the mask is one on booleans (s22-h2).
_GUARD_ATTR = "_wengang_guard"


def _guarded(e: pl.Expr, guard: pl.Expr, inner: pl.Expr) -> pl.Expr:
    setattr(e, _GUARD_ATTR, (guard, inner))
    return e


def _unguard(e: pl.Expr, guards: list[pl.Expr]) -> pl.Expr:
    """``e`` without its guard (added to ``guards``), or ``e`` itself when it has none."""
    found = getattr(e, _GUARD_ATTR, None)
    if found is None:
        return e
    guards.append(found[0])
    return found[1]


def _apply_guards(out: pl.Expr, guards: list[pl.Expr]) -> pl.Expr:
    """``out`` where every guard is true, else null: what the guarded inputs would have given (each operation
    of a comparison or RateOf is null on a null input)."""
    if not guards:
        return out
    cond = guards[0]
    for g in guards[1:]:
        cond = cond & g
    return pl.when(cond).then(out)


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
CMP_SYMBOL = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


class Cmp(Expr):
    fmt = BOOL

    def __init__(self, op: str, a: Expr, b: Expr):
        self.op, self.a, self.b = op, a, b

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.b)

    def _eval(self, ctx: EvalContext) -> Any:
        x, y = self.a.eval(ctx), self.b.eval(ctx)
        if x is None or y is None:
            return None
        return _CMP[self.op](x, y)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        fn = _CMP[self.op]
        guards: list[pl.Expr] = []
        if self.a.fraction_in(ctx) or self.b.fraction_in(ctx):
            an, ad = self.a.frac(ctx)
            bn, bd = self.b.frac(ctx)
            an, bn = _unguard(an, guards), _unguard(bn, guards)
            # denominators are positive by construction (counts, rates), so the order is kept
            x, y = _narrow_mul(ctx, an, bd), _narrow_mul(ctx, bn, ad)
            # a side that came out a fixed number (a whole-number parameter over 1) is compared as the plain
            # path compares it: a literal that takes the column's type, not an Int64 one that widens the column
            vx, vy = _value(x), _value(y)
            if vy is not None and vx is None:
                y = literal(vy)
            elif vx is not None and vy is None:
                x = literal(vx)
        else:
            x, y = self.a.to_polars(ctx), self.b.to_polars(ctx)
            book = _book_of(x) or _book_of(y)
            if book is not None:  # text compiled as codes: the other side is a fixed text (text_codes)
                x, y = _coded(x, book, ctx), _coded(y, book, ctx)
        kx, ky = _known_value(x), _known_value(y)
        if kx is not _NOT_CONST and ky is not _NOT_CONST:  # both fixed by the policy: fold
            if kx is None or ky is None:
                return known_literal(pl.lit(None, dtype=pl.Boolean), None)
            return _apply_guards(literal(fn(kx, ky)), guards) if guards else literal(fn(kx, ky))
        return _apply_guards(_keep_non_null(fn(x, y), x, y), guards)

    def _show(self) -> str:
        return f"{self.a.show()} {CMP_SYMBOL[self.op]} {self.b.show()}"


class _Logic(Expr):
    """Kleene and/or over several parts: ``decisive`` (False for and, True for or) wins over unknown."""

    fmt = BOOL
    parts: tuple[Expr, ...]
    decisive: bool

    def __init__(self, *parts: Expr):
        flat: list[Expr] = []
        for p in parts:  # a & b & c is one node, so the explanation lists its parts side by side
            flat.extend(p.parts if type(p) is type(self) and p.label is None else (p,))  # type: ignore[attr-defined]
        self.parts = tuple(flat)

    def children(self) -> tuple[Expr, ...]:
        return self.parts

    def _eval(self, ctx: EvalContext) -> Any:
        values = [p.eval(ctx) for p in self.parts]  # every part: the explanation shows each
        decisive = self.decisive
        if decisive in values and any(v is decisive for v in values):
            return decisive
        return None if None in values else not decisive

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        exprs = [p.to_polars(ctx) for p in (self._merged_tests(ctx) if self.decisive else self.parts)]
        known = [_known_value(e) for e in exprs]
        if any(k is self.decisive for k in known):  # a part the policy fixes decides it
            return literal(self.decisive)
        # parts the policy fixes to the other value do not change the result
        rest = [e for e, k in zip(exprs, known, strict=True) if k is not (not self.decisive)]
        if not rest:
            return literal(not self.decisive)
        out = rest[0]
        for e in rest[1:]:
            out = (out | e) if self.decisive else (out & e)  # Kleene in Polars too
        return _keep_non_null(out, *rest)

    def _merged_tests(self, ctx: CompileContext) -> list[Expr]:
        """An or's parts with its tests of one fact against fixed values (``x == a``, ``x in S``) made one
        ``x in (S ∪ {a} …)``: one pass over the column, not one per test and an or between them. The same value on
        every row, in Kleene logic too: each test is null exactly where ``x`` is, and so is the union's."""
        groups: dict[str, list[tuple[int, list[Any]]]] = {}
        for i, p in enumerate(self.parts):
            found = _fact_values(p, ctx)
            if found is not None:
                groups.setdefault(found[0], []).append((i, found[1]))
        merged: dict[int, Expr] = {}
        skip: set[int] = set()
        for name, tests in groups.items():
            if len(tests) < 2:
                continue
            values = list(dict.fromkeys(v for _, vs in tests for v in vs))
            merged[tests[0][0]] = IsIn(Fact(name), Lit(frozenset(values)))
            skip.update(i for i, _ in tests[1:])
        if not merged:
            return list(self.parts)
        return [merged.get(i, p) for i, p in enumerate(self.parts) if i not in skip]


def _fact_values(node: Expr, ctx: CompileContext) -> tuple[str, list[Any]] | None:
    """``(fact, values)`` when ``node`` tests a fact the table has against fixed values (``==`` a literal or a
    parameter, or ``isin`` a literal set or a list parameter), else None."""
    if isinstance(node, Cmp) and node.op == "==" and isinstance(node.a, Fact) and not node.b.is_fraction:
        if isinstance(node.b, Lit):
            value = node.b.value
        elif isinstance(node.b, Param) and not isinstance(node.b, OptionalParam):
            value = _param_value(ctx, node.b.name)
        else:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return None
        fact, values = node.a, [value]
    elif isinstance(node, IsIn) and isinstance(node.a, Fact):
        if isinstance(node.values, Param) and not isinstance(node.values, OptionalParam):
            values = list(_param_value(ctx, node.values.name))
        elif isinstance(node.values, Lit):
            values = sorted(node.values.value, key=str)
        else:
            return None
        if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            return None
        fact = node.a
    else:
        return None
    if fact.name in ctx.absent:
        return None
    return fact.name, values


class And(_Logic):
    decisive = False


class Or(_Logic):
    decisive = True


class Not(Expr):
    fmt = BOOL

    def __init__(self, a: Expr):
        self.a = a

    def children(self) -> tuple[Expr, ...]:
        return (self.a,)

    def _eval(self, ctx: EvalContext) -> Any:
        v = self.a.eval(ctx)
        return None if v is None else not v

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        a = self.a.to_polars(ctx)
        known = _known_value(a)
        if known is True or known is False:
            return literal(not known)
        if known is None:  # a fact the table lacks (no default): unknown, as a Boolean (Polars has no "not" of Null)
            return known_literal(pl.lit(None, dtype=pl.Boolean), None)
        return negation_of(_keep_non_null(~a, a), a)


class IfElse(Expr):
    def __init__(self, cond: Expr, then: Any, otherwise: Any, label: str | None = None):
        self.cond, self.then, self.otherwise = cond, lift(then), lift(otherwise)
        self.label = label
        self.is_fraction = self.then.is_fraction or self.otherwise.is_fraction
        self.fmt = self.then.fmt or self.otherwise.fmt

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.otherwise)

    def _eval(self, ctx: EvalContext) -> Any:
        c = self.cond.eval(ctx)
        if c is None:
            return None
        return self.then.eval(ctx) if c else self.otherwise.eval(ctx)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        c = self.cond.to_polars(ctx)
        known = _known_value(c)
        if known is True or known is False:  # the policy decides the branch, not the row
            return self.then.to_polars(ctx) if known else self.otherwise.to_polars(ctx)
        then, otherwise = self.then.to_polars(ctx), self.otherwise.to_polars(ctx)
        book = None if ctx.codes is None else ctx.codes.get(id(self))
        if book is not None:
            then, otherwise = _coded(then, book, ctx), _coded(otherwise, book, ctx)
            return _with_book(self._pick(c, then, otherwise), book)
        return self._pick(c, then, otherwise)

    @staticmethod
    def _pick(c: pl.Expr, then: pl.Expr, otherwise: pl.Expr) -> pl.Expr:
        if is_never_null(c):  # a condition known on every row: no unknown branch
            return _keep_non_null(pl.when(c).then(then).otherwise(otherwise), then, otherwise)
        return pl.when(c.is_null()).then(None).when(c).then(then).otherwise(otherwise)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        c = self.cond.to_polars(ctx)
        known = _known_value(c)
        if known is True or known is False:
            return self.then.frac(ctx) if known else self.otherwise.frac(ctx)
        tn, td = self.then.frac(ctx)
        on, od = self.otherwise.frac(ctx)

        def pick(a: pl.Expr, b: pl.Expr) -> pl.Expr:
            va, vb = _value(a), _value(b)
            known_c = is_never_null(c)
            if va is not None and vb is not None and va == vb:
                return a if known_c else pl.when(c.is_not_null()).then(a)
            # (two fixed integers as when/then of literals: half the CPU of b + (a − b)·c, whose cast of the
            # condition to Int64 is a pass of its own; s22-h2)
            if known_c:
                return _keep_non_null(pl.when(c).then(a).otherwise(b), a, b)
            return pl.when(c.is_null()).then(None).when(c).then(a).otherwise(b)

        vt, vo = _value(td), _value(od)
        if vt and vo and vt > 0 and vo > 0:
            # both branches' denominators are fixed (rates 3/10 and 3/5, say): written over their least common
            # multiple, the fraction's denominator is a constant, so a comparison or RateOf divides by a number,
            # not by a column (same value: n/d = n·(D/d)/D); an unknown condition leaves the numerator null
            common = vt * vo // math.gcd(vt, vo)
            return pick(_mul(tn, _const(common // vt)), _mul(on, _const(common // vo))), _const(common)
        return pick(tn, on), pick(td, od)


def when(cond: Expr, then: Any, otherwise: Any, label: str | None = None) -> IfElse:
    return IfElse(cond, then, otherwise, label)


class IsIn(Expr):
    fmt = BOOL

    def __init__(self, a: Expr, values: Expr):
        self.a, self.values = a, values

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.values)

    def _eval(self, ctx: EvalContext) -> Any:
        v = self.a.eval(ctx)
        values = self.values.eval(ctx)
        if v is None or values is None:
            return None
        return v in values

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        if isinstance(self.values, Param):
            values = list(_param_value(ctx, self.values.name))
        elif isinstance(self.values, Lit):
            values = sorted(self.values.value, key=str)
        else:
            raise RuleDefinitionError("isin needs a literal set or a list parameter")
        a = self.a.to_polars(ctx)
        if _known_value(a) is None:  # a fact the table lacks, with no default: unknown
            return known_literal(pl.lit(None, dtype=pl.Boolean), None)
        book = _book_of(a)
        if book is not None:  # codes: the set's texts are in the book (text_codes)
            known = _known_value(a)
            if known is not _NOT_CONST:
                return literal(known in values)
            return _keep_non_null(a.is_in(_code_values(values, book)), a)
        held = a.__dict__.get(_ENUM_ATTR)  # (not getattr: Polars' fallback for a missing attribute costs µs a call)
        if held is not None and is_never_null(a):  # an Enum column without null: what it can hold decides
            tested = set(values)
            if held <= tested:
                return literal(True)
            if not held & tested:
                return literal(False)
        return _keep_non_null(a.is_in(values), a)  # a missing value stays missing (null), as in Python


class IsMissing(Expr):
    fmt = BOOL

    def __init__(self, a: Expr):
        self.a = a

    def children(self) -> tuple[Expr, ...]:
        return (self.a,)

    def _eval(self, ctx: EvalContext) -> Any:
        return self.a.eval(ctx) is None

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        a = self.a.to_polars(ctx)
        known = _known_value(a)
        if known is not _NOT_CONST:  # a fact the table lacks (its default) or a parameter: known now
            return literal(known is None)
        if is_never_null(a):  # a column with no null on any row
            return literal(False)
        return never_null(a.is_null())


class HasParam(Expr):
    """Whether the document in force sets ``name``: known when the policy is resolved, so a batch plan
    never compiles the branch (nor reads the facts) of a provision the region does not have."""

    fmt = BOOL

    def __init__(self, name: str):
        self.name = name

    def _eval(self, ctx: EvalContext) -> Any:
        return self.name in ctx.params

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        return literal(self.name in ctx.params)


class Note(Expr):
    """``inner``'s value, with a sentence the explanation shows when the evaluation passes through here (why a
    figure the rule names is not needed for this case, say). ``{cite}`` in ``text`` is replaced by the citation
    of the parameter ``cite`` of the document in force, which the check then also cites. ``draft_text``: what is said
    instead when that document is a draft (征求意见稿: nothing 印发 — a document without a 文号 is cited by its title
    marked so, policies.model.display_number; outside explanation audit, session 41: the 兵团 draft had been called
    “本省已印发实施文件”)."""

    def __init__(self, inner: Any, text: str, cite: str | None = None, *, draft_text: str | None = None):
        self.inner = lift(inner)
        self.text, self.cite, self.draft_text = text, cite, draft_text
        self.fmt = self.inner.fmt
        self.is_fraction = self.inner.is_fraction

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def render(self, params: Mapping[str, Any]) -> str:
        if self.cite is None or self.cite not in params:
            return self.text
        param = params[self.cite]
        if self.draft_text is not None:
            from wengang.policies.model import STATUS_ZH

            if STATUS_ZH["draft"] in str(getattr(param, "number", "")):
                return self.draft_text.replace("{cite}", param.citation())
        return self.text.replace("{cite}", param.citation())

    def _eval(self, ctx: EvalContext) -> Any:
        return self.inner.eval(ctx)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        return self.inner.to_polars(ctx)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        return self.inner.frac(ctx)


class Coalesce(Expr):
    def __init__(self, a: Expr, default: Expr):
        self.a, self.default = a, default
        self.fmt = a.fmt
        self.label = a.label
        self.is_fraction = a.is_fraction

    def children(self) -> tuple[Expr, ...]:
        return (self.a, self.default)

    def _eval(self, ctx: EvalContext) -> Any:
        v = self.a.eval(ctx)
        return self.default.eval(ctx) if v is None else v

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        a, default = self.a.to_polars(ctx), self.default.to_polars(ctx)
        if _known_value(a) is None:
            return default
        if _known_value(default) is None or is_never_null(a):
            return a
        book = None if ctx.codes is None else ctx.codes.get(id(self))
        if book is not None:
            a, default = _coded(a, book, ctx), _coded(default, book, ctx)
        out = pl.coalesce(a, default)
        out = never_null(out) if is_never_null(default) else out
        return out if book is None else _with_book(out, book)


class Min(Expr):
    def __init__(self, *parts: Any):
        self.parts = tuple(lift(p) for p in parts)
        self.fmt = self.parts[0].fmt

    def children(self) -> tuple[Expr, ...]:
        return self.parts

    def _eval(self, ctx: EvalContext) -> Any:
        values = [p.eval(ctx) for p in self.parts]
        return None if any(v is None for v in values) else min(values)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        cols = [p.to_polars(ctx) for p in self.parts]
        if all(is_never_null(c) for c in cols):
            return never_null(pl.min_horizontal(cols))
        any_null = pl.any_horizontal([c.is_null() for c in cols])
        return pl.when(any_null).then(None).otherwise(pl.min_horizontal(cols))


class MonthSpan(Expr):
    """Calendar months from the month of ``start`` through the month of ``end``, both months counted (0 when
    ``end`` falls in an earlier month); unknown when either date is."""

    fmt = MONTHS

    def __init__(self, start: Expr, end: Expr, label: str | None = None):
        self.start, self.end = start, end
        self.label = label

    def children(self) -> tuple[Expr, ...]:
        return (self.start, self.end)

    def _eval(self, ctx: EvalContext) -> Any:
        a, b = self.start.eval(ctx), self.end.eval(ctx)
        if a is None or b is None:
            return None
        return max((b.year * 12 + b.month) - (a.year * 12 + a.month) + 1, 0)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        a, b = self.start.to_polars(ctx), self.end.to_polars(ctx)

        def index(d: pl.Expr) -> pl.Expr:
            d = d.cast(pl.Date)  # a fact the table lacks compiles to a null literal (dtype Null)
            return d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64)

        n = index(b) - index(a) + 1
        return _keep_non_null(pl.when(n < 0).then(pl.lit(0, dtype=pl.Int64)).otherwise(n), a, b)


class Max(Min):
    def _eval(self, ctx: EvalContext) -> Any:
        values = [p.eval(ctx) for p in self.parts]
        return None if any(v is None for v in values) else max(values)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        cols = [p.to_polars(ctx) for p in self.parts]
        if all(is_never_null(c) for c in cols):
            return never_null(pl.max_horizontal(cols))
        any_null = pl.any_horizontal([c.is_null() for c in cols])
        return pl.when(any_null).then(None).otherwise(pl.max_horizontal(cols))


class RateOf(Expr):
    """``base_fen × rate`` rounded half-up to the fen: the one rounding rule (docs/decisions.md).

    ``ceiling=True``: a limit the text sets as "不超过 rate of base" (a fund may draw at most 5 % of its balance), in
    whole fen, is the largest amount that does not exceed it: rounded down, never up past the rate."""

    fmt = MONEY

    def __init__(self, base: Expr, rate: Expr, label: str | None = None, *, ceiling: bool = False):
        self.base, self.rate = base, rate
        self.label = label
        self.ceiling = ceiling

    def children(self) -> tuple[Expr, ...]:
        return (self.base, self.rate)

    def _eval(self, ctx: EvalContext) -> Any:
        b, r = self.base.eval(ctx), self.rate.eval(ctx)
        if b is None or r is None:
            return None
        if b < 0 or r < 0:
            # contradictory facts (a deduction larger than its base): no amount — 无法判定 naming the facts
            # (rules.contradictions), as the batch's guard below; not a crash, not a negative amount (session 42)
            return None
        if self.ceiling:
            return times_rate_down(int(b), Fraction(r))
        return times_rate_half_up(int(b), Fraction(r))

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        base = self.base.to_polars(ctx)
        b = base.cast(pl.Int64)
        n, d = self.rate.frac(ctx)
        guards: list[pl.Expr] = []
        n = _unguard(n, guards)
        vd = _value(d)
        if self.ceiling:
            out = _mul(b, n) // d
        elif vd is not None and vd > 0 and vd % 2 == 0:
            # (2bn + d) // 2d with d = 2k is (bn + k) // d: the same floor of the same rational, one multiply fewer
            # (and no overflow where 2bn would overflow but bn does not)
            out = _add(_mul(b, n), _const(vd // 2)) // d
        else:
            out = (2 * b * n + d) // (2 * d)
        if self._may_be_negative():
            # a base less a deduction larger than it, or a negative rate: unknown, as in one case (``_eval``)
            rate_ok = (n == 0) | ((n > 0) == (d > 0))
            out = pl.when((b >= 0) & rate_ok).then(out)
            return _apply_guards(out, guards) if guards else out
        # a division by a fixed non-zero denominator is null only where its inputs are
        if guards:
            return _apply_guards(out, guards)
        return _keep_non_null(out, base, n) if _value(d) not in (None, 0) else out

    def _may_be_negative(self) -> bool:
        """Can the base or the rate be negative: does either subtract (facts and parameters are never negative)?"""
        found = self.__dict__.get("_may_be_negative_")
        if found is None:
            found = self.__dict__["_may_be_negative_"] = any(
                isinstance(n, Arith) and n.op == "-" for part in (self.base, self.rate) for n in part.walk()
            )
        return found


class Reading(Expr):
    """A point where the text can be read two ways: the value depends on an interpretation switch.

    ``options`` maps each reading key to the expression that reading gives. If ``fixed_by`` names a
    policy parameter and the document in force sets it, the text itself fixes the reading (and the
    parameter's citation says where).
    """

    def __init__(self, switch: str, options: Mapping[str, Any], fixed_by: str | None = None):
        self.switch = switch
        self.options = {k: lift(v) for k, v in options.items()}
        self.fixed_by = fixed_by
        first = next(iter(self.options.values()))
        self.fmt = first.fmt
        self.label = first.label
        self.is_fraction = any(o.is_fraction for o in self.options.values())

    def children(self) -> tuple[Expr, ...]:
        return tuple(self.options.values())

    def choose(self, params: Mapping[str, Any], readings: Mapping[str, str]) -> Expr:
        if self.fixed_by is not None and self.fixed_by in params:
            key = str(params[self.fixed_by].value)
        elif self.switch in readings:
            key = readings[self.switch]
        else:
            key = interpretations.get(self.switch).default
        try:
            return self.options[key]
        except KeyError:
            raise RuleDefinitionError(f"switch {self.switch} has no reading {key!r}") from None

    def _eval(self, ctx: EvalContext) -> Any:
        if self.fixed_by is not None and self.fixed_by in ctx.params:
            return self.choose(ctx.params, ctx.readings).eval(ctx)
        ctx.reached.setdefault(self.switch, None)
        chosen = self.choose(ctx.params, ctx.readings)
        value = chosen.eval(ctx)
        if self.switch not in ctx.live:
            # would another reading give this case a different value here?
            # values already computed here are the probe's too (same readings); what evaluating them
            # records is already recorded here, and the probe's own values stay in the probe
            shared = ctx.shared
            if ctx.parent is None:
                probe = EvalContext(ctx.facts, ctx.params, ctx.settings, ctx.readings, base=shared, shared=shared, parent=ctx.values)
            else:  # a probe's own values (its copy of the probes between) over the outermost evaluation's
                probe = EvalContext(
                    ctx.facts, ctx.params, ctx.settings, ctx.readings, values=dict(ctx.values), base=shared, shared=shared, parent=ctx.parent
                )
            for o in self.options.values():
                if o is not chosen and o.eval(probe) != value:
                    ctx.live.setdefault(self.switch, None)
                    break
            for s in probe.reached:
                ctx.reached.setdefault(s, None)
            for s in probe.live:
                ctx.live.setdefault(s, None)
        return value

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        return self.choose(ctx.params, ctx.readings).to_polars(ctx)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        return self.choose(ctx.params, ctx.readings).frac(ctx)


class ByParam(Expr):
    """What the document in force prescribes, chosen by a text parameter it sets (``options[value]``), or
    ``default`` when it does not set it (the document is silent). Not a reading: the document decides, so
    switches inside the options it does not choose can never matter for its cases."""

    def __init__(self, name: str, options: Mapping[str, Any], default: Any):
        self.name = name
        self.options = {k: lift(v) for k, v in options.items()}
        self.default = lift(default)
        self.fmt = self.default.fmt
        self.label = self.default.label
        self.is_fraction = self.default.is_fraction or any(o.is_fraction for o in self.options.values())

    def children(self) -> tuple[Expr, ...]:
        return (*self.options.values(), self.default)

    def choose(self, params: Mapping[str, Any]) -> Expr:
        p = params.get(self.name)
        if p is None:
            return self.default
        try:
            return self.options[str(p.value)]
        except KeyError:
            raise RuleDefinitionError(f"parameter {self.name} has no option {p.value!r}") from None

    def _eval(self, ctx: EvalContext) -> Any:
        return self.choose(ctx.params).eval(ctx)

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        return self.choose(ctx.params).to_polars(ctx)

    def frac(self, ctx: CompileContext) -> tuple[pl.Expr, pl.Expr]:
        return self.choose(ctx.params).frac(ctx)


def path_step(node: Expr, ctx: EvalContext) -> list[Expr]:
    """Where a walk down the path an evaluation took goes from ``node`` (an unknown node, in ``ctx``): an if-else's
    condition when it is unknown, else the branch it took; a reading's or a document's chosen option; any other
    node's operands. Shared by ``engine.unknown_inputs`` and ``contradictions.negative_rates``."""
    if isinstance(node, IfElse):
        cond = node.cond.eval(ctx)
        return [node.cond if cond is None else node.then if cond else node.otherwise]
    if isinstance(node, Reading):
        return [node.choose(ctx.params, ctx.readings)]
    if isinstance(node, ByParam):
        return [node.choose(ctx.params)]
    return list(reversed(node.children()))


def switches_in(exprs: Iterable[Expr], params: Mapping[str, Any]) -> list[str]:
    """The interpretation switches an evaluation could depend on, given the policy's parameters."""
    seen: dict[str, None] = {}
    done: set[int] = set()  # a subtree the rules share is walked once (what it reads is seen by then, in order)

    def visit(node: Expr) -> None:
        if id(node) in done:
            return
        done.add(id(node))
        if isinstance(node, ByParam):  # only what the document chose can be evaluated
            visit(node.choose(params))
            return
        if isinstance(node, Reading) and not (node.fixed_by and node.fixed_by in params):
            seen.setdefault(node.switch, None)
        for child in node.children():
            visit(child)

    for e in exprs:
        visit(e)
    return list(seen)


class SharedNodes:
    """Sub-expressions that several compiled expressions (or one, twice) contain, staged as columns.

    A rule tree shares nodes (a reading's variants reuse the same terms; an if-else reads its condition
    twice in Polars, for null and for truth), and a Polars expression is a tree: the effective size class of
    内人社发〔2025〕18号 was computed dozens of times per row across the checks and amounts, 2.3 s of 3 s at
    1 M units with the readings open. Compiled with a ``CompileContext(shared=...)``, each such node is
    compiled once per combination of the readings below it, as a temporary column in ``levels`` (level
    ``k`` reads only columns of levels ``< k``), and the expressions refer to it by name. Values are the
    same: the column holds exactly the expression it replaces. Literals and plain columns stay inline
    (the compiler still folds them).
    """

    def __init__(
        self,
        roots: Iterable[Expr],
        params: Mapping[str, Any],
        prefix: str = "__shared",
        inline: frozenset[tuple[Any, ...]] = frozenset(),
    ):
        self.params = params
        self.prefix = prefix
        self.inline = inline  # keys (see ``_key``) compiled where they are read: ``read_once`` of an earlier pass
        parents: dict[int, set[int]] = {}
        twice: set[int] = set()
        for root in roots:
            for node in root.walk():
                for child in node.children():
                    parents.setdefault(id(child), set()).add(id(node))
                if isinstance(node, IfElse):
                    twice.add(id(node.cond))
                elif isinstance(node, IsIn):
                    twice.add(id(node.a))
        self.candidates = {k for k, p in parents.items() if len(p) > 1} | twice
        self.levels: list[list[pl.Expr]] = []
        self.names: list[str] = []
        self._columns: dict[tuple[int, tuple[tuple[str, str | None], ...]], tuple[str, int, bool, tuple[str, ...] | None]] = {}
        self._coded: dict[str, tuple[str, bool, tuple[str, ...]]] = {}  # fact -> its codes' column (text_codes)
        self._switches: dict[int, list[str]] = {}
        self._stack: list[int] = [-1]  # highest level read by the expression being compiled

    def _key(self, node: Expr, readings: Mapping[str, str]) -> tuple[int, tuple[tuple[str, str | None], ...]]:
        own = self._switches.get(id(node))
        if own is None:
            own = self._switches[id(node)] = switches_in([node], self.params)
        return id(node), tuple((s, readings.get(s)) for s in own)

    def _reads(self, level: int) -> None:
        if level > self._stack[-1]:
            self._stack[-1] = level

    def compile(self, node: Expr, ctx: CompileContext) -> pl.Expr:
        if id(node) not in self.candidates or isinstance(node, (Lit, Fact, Param, Setting)):
            return node._polars(ctx)
        key = self._key(node, ctx.readings)
        if key in self.inline:  # read by one expression only: written there (what it reads is noted as read)
            return node._polars(ctx)
        hit = self._columns.get(key)
        if hit is not None:
            self._reads(hit[1])
            return self._read(hit[0], hit[2], hit[3])
        self._stack.append(-1)
        try:
            e = node._polars(ctx)
        finally:
            below = self._stack.pop()
        if _known_value(e) is not _NOT_CONST or e.meta.is_column():
            self._reads(below)
            return e
        level = below + 1
        name = f"{self.prefix}{len(self.names)}"
        while len(self.levels) <= level:
            self.levels.append([])
        self.levels[level].append(e.alias(name))
        self.names.append(name)
        self._columns[key] = (name, level, is_never_null(e), _book_of(e))
        self._reads(level)
        return self._read(name, is_never_null(e), _book_of(e))

    @staticmethod
    def _read(name: str, known: bool, book: tuple[str, ...] | None) -> pl.Expr:
        e = never_null(pl.col(name)) if known else pl.col(name)
        return e if book is None else _with_book(e, book)

    def coded_column(self, fact: str, book: tuple[str, ...], known: bool) -> pl.Expr:
        """The codes of the text column ``fact`` (``known``: null on no row), a column of the first level."""
        if ("code", fact) in self.inline:  # read at one place only: coded there
            e = encoded(pl.col(fact), book)
            return _with_book(never_null(e) if known else e, book)
        hit = self._coded.get(fact)
        if hit is None:
            name = f"{self.prefix}_code_{len(self._coded)}"
            if not self.levels:
                self.levels.append([])
            self.levels[0].append(encoded(pl.col(fact), book).alias(name))
            self.names.append(name)
            hit = self._coded[fact] = (name, known, book)
        self._reads(0)
        return self._read(*hit)

    def read_once(self, exprs: Iterable[pl.Expr]) -> frozenset[tuple[Any, ...]]:
        """The keys of the staged columns that ``exprs`` (every expression compiled with these nodes) read at
        one place only: compiled again with ``inline`` set to them, each is computed where it is read instead.

        Also those read by nothing: a staged column read only by an expression the compiler then dropped (a
        negative-base flag fixed false), and, in turn, what only such columns read (their reads are taken back
        here, so one more compile, not one per layer, reaches the plan in which every staged column is read twice)."""
        reads: dict[str, int] = {}
        roots_of: dict[str, list[str]] = {}
        for e in exprs:
            roots = e.meta.root_names()
            roots_of[e.meta.output_name()] = roots
            for name in roots:
                reads[name] = reads.get(name, 0) + 1
        staged = {name for name, _, _, _ in self._columns.values()} | {name for name, _, _ in self._coded.values()}
        dead: set[str] = set()
        while fresh := [n for n in staged if reads.get(n, 0) == 0 and n not in dead]:
            for n in fresh:
                dead.add(n)
                for name in roots_of.get(n, ()):
                    reads[name] -= 1
        once = {key for key, (name, _, _, _) in self._columns.items() if reads.get(name, 0) <= 1}
        return frozenset(once | {("code", fact) for fact, (name, _, _) in self._coded.items() if reads.get(name, 0) <= 1})
