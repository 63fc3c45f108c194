"""The old backfill keys that depend on the 200-row window's start, in O(1) work per row.

``backfill`` evaluates each key literally from W, the last ``min(t, 200)`` rows (O(200) per
row). This module computes the same EMA_n, MACD line and signal, OBV, AD_line and the simple
means with a bounded state and O(1) work per row, the form the SQL port needs.
``docs/backfill-keys.md`` ("The sliding window in O(1)") gives the derivation.

Rows with m < 200 (the first 199 of a scrip): W starts at the scrip's first row, so the
literal definition is the ordinary recursion started there (EMA seeded with the mean of the
first n closes; MACD's F from row 11, S from row 25, signal seeded on row 33); OBV and AD_line
are running totals.

Rows with m = 200: every key is a fixed linear combination of the window's 200 closes,
``value_t = sum_d beta_d * close[t - d]`` (lag ``d = 0 … 199``), and on each of a few lag
segments ``[d0, d1]`` the weights are a sum of exponentials ``sum_p C_p * r_p ** (d - d0)``
(``r_p`` is ``1 - 2 / (n + 1)`` of one of the EMAs involved, or 1 for a plain sum). So

    value_t = sum over terms (C, r, d0, d1) of C * E_t(r, d0, d1),
    E_t(r, d0, d1) = sum_{d = d0 .. d1} r ** (d - d0) * close[t - d],

and each E slides in O(1): ``E_t = r * E_{t-1} + close[t - d0] - r ** (d1 - d0 + 1) *
close[t - d1 - 1]``. :func:`exact_terms` finds the terms and proves them: it computes the
weights of the literal definition in exact rational arithmetic and checks that the
decomposition reproduces every one of the 200 weights exactly.

Rounding: a sliding sum with ``r < 1`` forgets its rounding errors geometrically, but a plain
sum (``r = 1``) keeps them, and either carries an error made at a high price into a later low
one. So every :data:`ANCHOR_EVERY` rows (rows whose index is a multiple of it) each sum is
recomputed from its lags directly (Horner's scheme, oldest first). Between anchors at most
``ANCHOR_EVERY - 1`` O(1) updates run, so the error cannot build up, and the state on an
anchor row is a function of the last 201 closes only: a daily run that continues from a
stored anchor state reproduces a full rebuild. OBV sums integers and slides exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
import numpy.typing as npt

from ._common import FloatArray, as_series

#: The old job's window length.
WINDOW = 200
#: Rows between two recomputations of the sliding sums (the SQL stores state every 16th row).
ANCHOR_EVERY = 16


# --------------------------------------------------------------------------- the weights


def _rate(n: int) -> Fraction:
    """r = 1 - a of an EMA_n, a = 2 / (n + 1)."""
    return 1 - Fraction(2, n + 1)


#: Every weight of the keys below is an integer multiple of 1 / _DENOMINATOR: the seeding
#: means divide by n <= 50, each EMA step by n + 1, at most 200 times.
_DENOMINATOR = math.lcm(*range(1, 51)) * math.prod(n + 1 for n in (3, 9, 12, 20, 26, 50)) ** 200

Numerators = list[int]  # weights over the window's rows, times _DENOMINATOR


def _ema_weight_series(n: int, inputs: list[Numerators]) -> dict[int, Numerators]:
    """Exact weights (over the window's closes) of the EMA_n series over ``inputs``.

    ``inputs[j]`` is the weight vector of the j-th series value; the result maps each window
    row j >= n - 1 to the EMA's weight vector, exactly as the literal recursion builds it:
    the mean of the first n, then ``e = (2 * x + (n - 1) * e) / (n + 1)``. Every division
    is checked to be exact, so a wrong denominator cannot pass silently.
    """

    def divide(values: list[int], by: int) -> Numerators:
        quotients = [divmod(v, by) for v in values]
        if any(rest for _, rest in quotients):
            raise ArithmeticError("a weight is not a multiple of 1 / _DENOMINATOR")
        return [q for q, _ in quotients]

    e = divide([sum(col) for col in zip(*inputs[:n], strict=True)], n)
    out = {n - 1: e}
    for j in range(n, len(inputs)):
        e = divide([2 * x + (n - 1) * y for x, y in zip(inputs[j], e, strict=True)], n + 1)
        out[j] = e
    return out


@cache
def exact_weights(key: str) -> tuple[Fraction, ...]:
    """The weights ``beta_d`` (lag d = 0 … 199) of a key on a full 200-row window, exactly.

    ``key`` is ``EMA_<n>``, ``MACD_line`` or ``MACD_signal``. The weights come from running
    the literal definition on the unit vectors (it is linear in the closes).
    """
    unit = [[_DENOMINATOR * int(i == j) for i in range(WINDOW)] for j in range(WINDOW)]
    if key.startswith("EMA_"):
        by_row = _ema_weight_series(int(key[4:]), unit)[WINDOW - 1]
    else:
        fast = _ema_weight_series(12, unit)
        slow = _ema_weight_series(26, unit)
        line = [[f - s for f, s in zip(fast[j], slow[j], strict=True)] for j in range(25, WINDOW)]
        if key == "MACD_line":
            by_row = line[-1]
        elif key == "MACD_signal":
            by_row = _ema_weight_series(9, line)[WINDOW - 26]
        else:
            raise ValueError(f"no exact weights for {key!r}")
    return tuple(Fraction(w, _DENOMINATOR) for w in reversed(by_row))  # index = lag


def segments(key: str) -> list[tuple[int, int, tuple[Fraction, ...]]]:
    """The lag segments ``(d0, d1, bases)`` on which a key's weights are exponential sums.

    Window row ``i`` has lag ``d = 199 - i``. EMA_n: its recursion covers lags 0 … 199 - n
    (base r_n), its seeding mean lags 200 - n … 199 (base 1). MACD: F recurses from window row
    12 (lag 187), S from row 26 (lag 173), the signal from row 34 (lag 165); before those rows
    each is a seeding mean, constant in the lag. The signal's seed block (M of window rows
    25 … 33) adds nothing new: M there is made of the same F and S exponentials.
    """
    one = Fraction(1)
    r9, r12, r26 = _rate(9), _rate(12), _rate(26)
    if key.startswith("EMA_"):
        n = int(key[4:])
        return [(0, WINDOW - 1 - n, (_rate(n),)), (WINDOW - n, WINDOW - 1, (one,))]
    if key == "MACD_line":
        return [(0, 173, (r12, r26)), (174, 187, (r12, one)), (188, 199, (one,))]
    if key == "MACD_signal":
        return [
            (0, 165, (r9, r12, r26)),
            (166, 173, (r12, r26)),
            (174, 187, (r12, one)),
            (188, 199, (one,)),
        ]
    raise ValueError(f"no segments for {key!r}")


def _solve(matrix: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction]:
    """Gaussian elimination in exact arithmetic (tiny systems)."""
    size = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    for col in range(size):
        pivot = next(i for i in range(col, size) if rows[i][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for i in range(size):
            if i != col and rows[i][col] != 0:
                factor = rows[i][col] / rows[col][col]
                rows[i] = [x - factor * y for x, y in zip(rows[i], rows[col], strict=True)]
    return [rows[i][size] / rows[i][i] for i in range(size)]


@dataclass(frozen=True)
class Term:
    """``coef * E(base, first_lag, last_lag)``: one sliding exponential sum of a key."""

    coef: float
    base: float
    first_lag: int
    last_lag: int


@cache
def exact_terms(key: str) -> tuple[Term, ...]:
    """The sliding-sum terms of a key, proven exact.

    On each segment the coefficients are solved from the segment's first weights; then every
    weight of the segment is checked against the literal ones in rational arithmetic. A
    mismatch (a wrong derivation) raises instead of returning an approximation.
    """
    beta = exact_weights(key)
    terms: list[Term] = []
    for d0, d1, bases in segments(key):
        size = len(bases)
        matrix = [[b**k for b in bases] for k in range(size)]
        coefs = _solve(matrix, list(beta[d0 : d0 + size]))
        for d in range(d0, d1 + 1):
            value = sum(c * b ** (d - d0) for c, b in zip(coefs, bases, strict=True))
            if value != beta[d]:
                raise AssertionError(f"{key}: lag {d} is not a sum of the segment's exponentials")
        terms.extend(Term(float(c), float(b), d0, d1) for c, b in zip(coefs, bases, strict=True))
    covered = sorted((t.first_lag, t.last_lag) for t in terms)
    if covered[0][0] != 0 or covered[-1][1] != WINDOW - 1:
        raise AssertionError(f"{key}: the segments do not cover lags 0 … {WINDOW - 1}")
    return tuple(terms)


# --------------------------------------------------------------------------- sliding sums


def sliding_exp_sum(
    x: npt.ArrayLike,
    base: float,
    first_lag: int,
    last_lag: int,
    anchor_every: int | None = ANCHOR_EVERY,
) -> FloatArray:
    """``E_t = sum_{d = first_lag .. last_lag} base ** (d - first_lag) * x[t - d]``, O(1) per row.

    NaN while ``t < last_lag``. The first value and, with ``anchor_every``, every row whose
    index is a multiple of it are computed from the lags (Horner, oldest first); the other rows
    use ``E_t = base * E_{t-1} + x[t - first_lag] - base ** length * x[t - last_lag - 1]``.
    ``anchor_every=None`` runs the bare recurrence (to measure its drift).
    """
    values = as_series(x)
    out = np.full(len(values), np.nan)
    if len(values) <= last_lag:
        return out
    leaving = base ** (last_lag - first_lag + 1)

    def direct(t: int) -> float:
        total = 0.0
        for d in range(last_lag, first_lag - 1, -1):
            total = base * total + values[t - d]
        return total

    total = direct(last_lag)
    out[last_lag] = total
    for t in range(last_lag + 1, len(values)):
        if anchor_every is not None and t % anchor_every == 0:
            total = direct(t)
        else:
            total = base * total + values[t - first_lag] - leaving * values[t - last_lag - 1]
        out[t] = total
    return out


def full_window_value(
    close: npt.ArrayLike, key: str, anchor_every: int | None = ANCHOR_EVERY
) -> FloatArray:
    """A key on the rows with m = 200 as the sum of its sliding terms (NaN before row 199)."""
    c = as_series(close)
    out = np.zeros(len(c))
    for term in exact_terms(key):
        out += term.coef * sliding_exp_sum(
            c, term.base, term.first_lag, term.last_lag, anchor_every
        )
    return out


# --------------------------------------------------------------------------- the keys


def _ema_from_start(c: FloatArray, n: int, rows: int) -> FloatArray:
    """EMA_n of the first ``rows`` rows, seeded with the mean of the first n (NaN before)."""
    out = np.full(rows, np.nan)
    if rows < n:
        return out
    a = 2.0 / (n + 1)
    e = c[:n].mean()
    out[n - 1] = e
    for t in range(n, rows):
        e = a * c[t] + (1.0 - a) * e
        out[t] = e
    return out


def sliding_ema(close: npt.ArrayLike, n: int, anchor_every: int | None = ANCHOR_EVERY):
    """EMA_n of the old job: the ordinary EMA on rows < 199, the sliding terms from row 199."""
    c = as_series(close)
    head = min(len(c), WINDOW - 1)
    out = np.full(len(c), np.nan)
    out[:head] = _ema_from_start(c, n, head)
    if len(c) >= WINDOW:
        out[head:] = full_window_value(c, f"EMA_{n}", anchor_every)[head:]
    return out


def sliding_macd(
    close: npt.ArrayLike, anchor_every: int | None = ANCHOR_EVERY
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal and histogram (12, 26, 9) of the old job; NaN while m < 34."""
    c = as_series(close)
    head = min(len(c), WINDOW - 1)
    line = np.full(len(c), np.nan)
    signal = np.full(len(c), np.nan)
    if head >= 34:
        m = _ema_from_start(c, 12, head) - _ema_from_start(c, 26, head)
        line[33:head] = m[33:head]
        sig = m[25:34].mean()
        signal[33] = sig
        for t in range(34, head):
            sig = 0.2 * m[t] + 0.8 * sig
            signal[t] = sig
    if len(c) >= WINDOW:
        line[head:] = full_window_value(c, "MACD_line", anchor_every)[head:]
        signal[head:] = full_window_value(c, "MACD_signal", anchor_every)[head:]
    return line, signal, line - signal


def sliding_sum(values: npt.ArrayLike, anchor_every: int | None = ANCHOR_EVERY) -> FloatArray:
    """Sum of the last min(t, 200) values: a running total, then a sliding plain sum."""
    x = as_series(values)
    out = np.cumsum(x)
    if len(x) >= WINDOW:
        out[WINDOW - 1 :] = sliding_exp_sum(x, 1.0, 0, WINDOW - 1, anchor_every)[WINDOW - 1 :]
    return out


def sliding_obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """OBV over W: signed truncated volumes in int64, slid exactly (add the new, drop the old).

    The signed volume of row t uses rows t - 1 and t; W's first row contributes nothing, so
    the sum covers rows t - 198 … t once m = 200.
    """
    c = as_series(close)
    flow = np.zeros(len(c), dtype=np.int64)
    flow[1:] = np.sign(np.diff(c)).astype(np.int64) * np.trunc(as_series(volume)[1:]).astype(
        np.int64
    )
    total = np.cumsum(flow)
    out = total.copy()
    out[WINDOW - 1 :] = total[WINDOW - 1 :] - total[: len(c) - WINDOW + 1]
    return out.astype(np.float64)


def sliding_ad_line(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    anchor_every: int | None = ANCHOR_EVERY,
) -> FloatArray:
    """AD_line: the sliding plain sum of mfm * volume over the last min(t, 200) rows."""
    h, lo, c, v = (as_series(a) for a in (high, low, close, volume))
    span = h - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        mfm = np.where(span == 0, 0.0, ((c - lo) - (h - c)) / span)
    return sliding_sum(mfm * v, anchor_every)


def sliding_mean(values: npt.ArrayLike, n: int, anchor_every: int | None = ANCHOR_EVERY):
    """Mean of the last n values (SMA_n, volume_SMA_n): a sliding plain sum / n; NaN while m < n."""
    x = as_series(values)
    return sliding_exp_sum(x, 1.0, 0, n - 1, anchor_every) / n


def sliding_keys(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    anchor_every: int | None = ANCHOR_EVERY,
) -> dict[str, FloatArray]:
    """The window-dependent old keys by the O(1) formulation, named as in ``backfill``."""
    out: dict[str, FloatArray] = {}
    for n in (3, 5, 20, 50):
        out[f"SMA_{n}"] = sliding_mean(close, n, anchor_every)
    for n in (3, 20, 50):
        out[f"EMA_{n}"] = sliding_ema(close, n, anchor_every)
    line, signal, hist = sliding_macd(close, anchor_every)
    out["MACD_line_12_26_9"] = line
    out["MACD_signal_12_26_9"] = signal
    out["MACD_hist_12_26_9"] = hist
    out["OBV"] = sliding_obv(close, volume)
    out["AD_line"] = sliding_ad_line(high, low, close, volume, anchor_every)
    for n in (10, 20):
        out[f"volume_SMA_{n}"] = sliding_mean(volume, n, anchor_every)
    return out


# --------------------------------------------------------------------------- the SQL's terms

#: The keys whose full-window value the SQL takes from sliding sums (macros/indicators/).
SLID_KEYS = ("EMA_3", "EMA_20", "EMA_50", "MACD_line", "MACD_signal")


def sql_terms_macro() -> str:
    """The text of ``macros/indicators/dse_backfill_terms.sql``, generated from :func:`exact_terms`.

    The SQL cannot solve the segments in exact arithmetic, so it reads their result: each
    distinct sliding sum (base, first lag, last lag, and the factor of the close that leaves
    it, ``base ** length``) and each key's terms (coefficient, sum). Numbers are written as
    Python's shortest round-trip text, which PostgreSQL reads back to the same float8.
    """
    sums: list[tuple[float, int, int]] = []
    keys: dict[str, list[tuple[float, int]]] = {}
    for key in SLID_KEYS:
        for term in exact_terms(key):
            slid = (term.base, term.first_lag, term.last_lag)
            if slid not in sums:
                sums.append(slid)
            keys.setdefault(key, []).append((term.coef, sums.index(slid)))
    lines = [
        "{% macro dse_backfill_terms() %}",
        "    {#-",
        "        GENERATED: do not edit. Written by sql_terms_macro() in",
        "        dse_indicators/reference/backfill_sliding.py from exact_terms, which proves",
        "        each key's weights in rational arithmetic (docs/backfill-keys.md); a test holds",
        "        this file to it (regenerate: DSE_UPDATE_GOLDEN=1 pytest",
        "        tests/python/test_backfill_reference.py).",
        "        sums: the distinct sliding sums E(base, first_lag, last_lag) with `leaving`,",
        "        the factor of the close that leaves; keys: per key its terms (coefficient,",
        "        index of the sum).",
        "    -#}",
        "    {{ return({",
        "        'sums': [",
    ]
    for base, first, last in sums:
        leaving = base ** (last - first + 1)
        lines.append(
            f"            {{'base': '{base!r}', 'first_lag': {first}, 'last_lag': {last},"
            f" 'leaving': '{leaving!r}'}},"
        )
    lines += ["        ],", "        'keys': {"]
    for key, terms in keys.items():
        lines.append(f"            '{key}': [")
        lines += [f"                ('{coef!r}', {index})," for coef, index in terms]
        lines.append("            ],")
    lines += ["        },", "    }) }}", "{% endmacro %}", ""]
    return "\n".join(lines)
