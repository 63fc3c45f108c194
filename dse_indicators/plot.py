"""The chart a quant looks at before trusting a feature: one scrip, prices and indicators.

Four panels sharing the date axis: close with SMA 20/50, Bollinger bands and SAR; volume;
RSI; MACD with its signal and histogram. A key missing from the table is simply not drawn.
On a table built with adjust_prices the ex-dates of corporate actions (where price_factor
steps) are marked, and ``raw`` draws the printed prices (and the price-level overlays on their
scale) instead of the adjusted ones.
Rendered by matplotlib's Agg backend into a PNG (or SVG/PDF, by the file's extension).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import psycopg
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter
from psycopg import sql

from dse_indicators import target
from dse_indicators.errors import UserError, did_you_mean
from dse_indicators.export import list_scrips

PLOTTED_KEYS = (
    "sma_20", "sma_50", "bb_upper_20", "bb_middle_20", "bb_lower_20", "sar",
    "rsi_14", "macd", "macd_signal", "macd_hist",
)  # fmt: skip
#: Keys on the price scale: divided by price_factor with the prices for a raw chart.
PRICE_LEVEL_KEYS = ("sma_20", "sma_50", "bb_upper_20", "bb_middle_20", "bb_lower_20", "sar")
DEFAULT_SPAN = dt.timedelta(days=365)
IMAGE_FORMATS = frozenset(Figure().canvas.get_supported_filetypes())  # png, svg, pdf, ...
UP, DOWN = "#2a9d63", "#d1495b"


def read_series(
    conn: psycopg.Connection,
    schema: str,
    scrip: str,
    first: dt.date | None,
    last: dt.date | None,
) -> pd.DataFrame:
    """The scrip's rows between first and last (default: its last year), one column per key."""
    table = target.indicators_table(conn, schema)
    bounds = conn.execute(
        sql.SQL("select min(trading_date), max(trading_date) from {} where scrip = %s").format(
            table
        ),
        [scrip],
    ).fetchone()
    if bounds[0] is None:
        hint = did_you_mean(scrip, list_scrips(conn, table))
        raise UserError(
            f"unknown scrip {scrip!r}{hint}: {schema}.indicators has no row for it "
            "(`dse-indicators status --all` lists the scrips)"
        )
    last = last or bounds[1]
    first = first or last - DEFAULT_SPAN
    if first > last:
        raise UserError(f"--from {first} is after --to {last}")
    keys = sql.SQL(", ").join(
        sql.SQL("(indicators ->> {})::float8 as {}").format(sql.Literal(k), sql.Identifier(k))
        for k in PLOTTED_KEYS
    )
    query = sql.SQL(
        "select trading_date, price_open, price_high, price_low, price_close, price_volume,"
        " price_factor, {}"
        " from {} where scrip = %s and trading_date between %s and %s order by trading_date"
    ).format(keys, table)
    cursor = conn.execute(query, [scrip, first, last])
    frame = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    if frame.empty:
        raise UserError(
            f"{scrip} has no rows between {first} and {last}; its rows run from {bounds[0]} "
            f"to {bounds[1]}"
        )
    frame["trading_date"] = pd.to_datetime(frame["trading_date"])
    return frame.set_index("trading_date").astype("float64")


def _has(frame: pd.DataFrame, key: str) -> bool:
    return key in frame and frame[key].notna().any()


def ex_dates(frame: pd.DataFrame) -> list[pd.Timestamp]:
    """The first rows priced after a corporate action: where price_factor changes."""
    factor = frame["price_factor"]
    return list(frame.index[1:][factor.to_numpy()[1:] != factor.to_numpy()[:-1]])


def as_printed(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows on the printed (raw) price scale: prices and price-level keys / price_factor,
    volume * price_factor."""
    raw = frame.copy()
    factor = frame["price_factor"]
    for column in ["price_open", "price_high", "price_low", "price_close", *PRICE_LEVEL_KEYS]:
        if column in raw:
            raw[column] = frame[column] / factor
    raw["price_volume"] = frame["price_volume"] * factor
    return raw


def draw(frame: pd.DataFrame, scrip: str, out: Path, raw: bool = False) -> list[str]:
    """Write the chart to `out` (``raw``: the printed prices); returns the keys drawn."""
    adjusted = bool((frame["price_factor"] != 1).any()) or len(ex_dates(frame)) > 0
    marks = ex_dates(frame)
    if raw:
        frame = as_printed(frame)
    drawn = [key for key in PLOTTED_KEYS if _has(frame, key)]
    # A Figure without pyplot renders PNG with Agg: no display, no global state.
    figure = Figure(figsize=(13, 10))
    price, volume, rsi, macd = figure.subplots(
        4, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, 1, 1.1, 1.3]}
    )
    dates = frame.index
    first, last = dates[0].date(), dates[-1].date()
    scale = (" (printed prices)" if raw else " (adjusted prices)") if adjusted else ""
    figure.suptitle(
        f"{scrip}: {first} to {last}, {len(frame)} trading days{scale}", fontweight="bold"
    )

    price.plot(dates, frame["price_close"], color="black", linewidth=1.2, label="close")
    if _has(frame, "bb_upper_20") and _has(frame, "bb_lower_20"):
        price.fill_between(
            dates, frame["bb_lower_20"], frame["bb_upper_20"],
            color="#8ab6d6", alpha=0.25, linewidth=0, label="Bollinger 20, 2",
        )  # fmt: skip
    for key, color in (("sma_20", "#e07a1f"), ("sma_50", "#3b6fb6")):
        if _has(frame, key):
            price.plot(
                dates, frame[key], color=color, linewidth=1.0, label=key.replace("_", " ").upper()
            )
    if _has(frame, "sar"):
        price.scatter(dates, frame["sar"], s=4, color="#7b4fa0", label="SAR", zorder=3)
    for day in marks:
        price.axvline(day, color="#b5651d", linestyle=":", linewidth=1.0)
    if marks:
        price.plot([], [], color="#b5651d", linestyle=":", label="ex-date")
    price.set_ylabel("taka")
    price.legend(loc="upper left", fontsize=8, ncols=5)

    rising = (frame["price_close"].diff().fillna(0) >= 0).to_numpy()
    volume.bar(dates, frame["price_volume"], width=1.0, color=np.where(rising, UP, DOWN))
    volume.set_ylabel("volume")
    volume.yaxis.set_major_formatter(EngFormatter())

    if _has(frame, "rsi_14"):
        rsi.plot(dates, frame["rsi_14"], color="#5a4fcf", linewidth=1.0, label="RSI 14")
        for level in (30, 70):
            rsi.axhline(level, color="grey", linestyle="--", linewidth=0.8)
        rsi.set_ylim(0, 100)
        rsi.legend(loc="upper left", fontsize=8)
    rsi.set_ylabel("RSI")

    if _has(frame, "macd_hist"):
        hist = frame["macd_hist"]
        macd.bar(dates, hist, width=1.0, color=np.where(hist >= 0, UP, DOWN), alpha=0.6,
                 label="histogram")  # fmt: skip
    for key, color in (("macd", "#1f4e79"), ("macd_signal", "#e07a1f")):
        if _has(frame, key):
            macd.plot(dates, frame[key], color=color, linewidth=1.0, label=key.replace("_", " "))
    macd.axhline(0, color="grey", linewidth=0.6)
    macd.set_ylabel("MACD 12/26/9")
    if any(_has(frame, k) for k in ("macd", "macd_signal", "macd_hist")):
        macd.legend(loc="upper left", fontsize=8, ncols=3)

    for axis in (price, volume, rsi, macd):
        axis.grid(True, alpha=0.3)
    macd.xaxis.set_major_locator(mdates.AutoDateLocator())
    macd.xaxis.set_major_formatter(mdates.ConciseDateFormatter(macd.xaxis.get_major_locator()))
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    return drawn
