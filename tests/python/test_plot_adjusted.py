"""plot on a table built with adjust_prices: ex-dates found where price_factor steps, and the
printed scale recovered (no database: the frame as read_series returns it)."""

from __future__ import annotations

import pandas as pd
import pytest

from dse_indicators import plot


def adjusted_frame() -> pd.DataFrame:
    days = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-07", "2024-01-08"])
    factor = [0.5, 0.5, 1 / 1.1, 1 / 1.1, 1.0]  # a split of 2, then a 10 % bonus
    printed_close = [200.0, 202.0, 110.0, 111.1, 100.0]
    return pd.DataFrame(
        {
            "price_open": [p * f for p, f in zip(printed_close, factor, strict=True)],
            "price_high": [p * f for p, f in zip(printed_close, factor, strict=True)],
            "price_low": [p * f for p, f in zip(printed_close, factor, strict=True)],
            "price_close": [p * f for p, f in zip(printed_close, factor, strict=True)],
            "price_volume": [1000 / f for f in factor],
            "price_factor": factor,
            "sma_20": [100.0, 100.0, 100.0, 100.0, 100.0],
        },
        index=days,
    )


def test_the_ex_dates_are_where_the_factor_steps():
    marks = plot.ex_dates(adjusted_frame())
    assert [d.date().isoformat() for d in marks] == ["2024-01-04", "2024-01-08"]


def test_raw_gives_the_printed_prices_volumes_and_overlays_back():
    printed = plot.as_printed(adjusted_frame())
    assert printed["price_close"].tolist() == pytest.approx([200.0, 202.0, 110.0, 111.1, 100.0])
    assert printed["price_volume"].tolist() == pytest.approx([1000.0] * 5)
    assert printed["sma_20"].tolist() == pytest.approx([200.0, 200.0, 110.0, 110.0, 100.0])


def test_an_unadjusted_table_has_no_marks(tmp_path):
    frame = adjusted_frame().assign(price_factor=1.0)
    assert plot.ex_dates(frame) == []
    assert plot.draw(frame, "GP", tmp_path / "gp.png") == ["sma_20"]
