"""TA-Lib as the oracle: every key of the contract, computed on one scrip's accepted rows.

Each key's TA-Lib call is written here as the contract writes it (section 3), and that text
is what runs: a small evaluator gives it the TA-Lib functions and the scrip's columns. The
catalogue (seeds/indicator_catalogue.csv) writes the same calls; tests/python/test_catalogue.py
holds the two together, so neither can drift from what the tests compare with.
"""

from __future__ import annotations

import numpy as np
import talib

__all__ = ["CALLS", "relative_difference", "talib_keys"]

# key: the TA-Lib call, default settings; `[i]` picks one output of a multi-output function.
CALLS: dict[str, str] = {
    "sma_5": "SMA(close, 5)",
    "sma_10": "SMA(close, 10)",
    "sma_20": "SMA(close, 20)",
    "sma_50": "SMA(close, 50)",
    "sma_200": "SMA(close, 200)",
    "ema_12": "EMA(close, 12)",
    "ema_26": "EMA(close, 26)",
    "ema_50": "EMA(close, 50)",
    "ema_200": "EMA(close, 200)",
    "macd": "MACD(close, 12, 26, 9)[0]",
    "macd_signal": "MACD(close, 12, 26, 9)[1]",
    "macd_hist": "MACD(close, 12, 26, 9)[2]",
    "rsi_14": "RSI(close, 14)",
    "bb_upper_20": "BBANDS(close, 20, 2, 2, SMA)[0]",
    "bb_middle_20": "BBANDS(close, 20, 2, 2, SMA)[1]",
    "bb_lower_20": "BBANDS(close, 20, 2, 2, SMA)[2]",
    "atr_14": "ATR(high, low, close, 14)",
    "adx_14": "ADX(high, low, close, 14)",
    "plus_di_14": "PLUS_DI(high, low, close, 14)",
    "minus_di_14": "MINUS_DI(high, low, close, 14)",
    "stoch_k": "STOCH(high, low, close, 14, 3, SMA, 3, SMA)[0]",
    "stoch_d": "STOCH(high, low, close, 14, 3, SMA, 3, SMA)[1]",
    "cci_20": "CCI(high, low, close, 20)",
    "willr_14": "WILLR(high, low, close, 14)",
    "mfi_14": "MFI(high, low, close, volume, 14)",
    "obv": "OBV(close, volume)",
    "roc_10": "ROC(close, 10)",
    "ret_1d": "ROCP(close, 1)",
    "sar": "SAR(high, low, 0.02, 0.2)",
    "volatility_20": "STDDEV(ROCP(close, 1), 20, 1)",
    "high_252": "MAX(high, 252)",
    "low_252": "MIN(low, 252)",
    "volume_sma_20": "SMA(volume, 20)",
}


class _Function:
    """A TA-Lib function by name. As an argument it is a moving-average type, as in `BBANDS(...,
    SMA)`: the contract names the type the way TA-Lib's own documentation does."""

    def __init__(self, name: str) -> None:
        self.function = getattr(talib, name)
        self.ma_type = getattr(talib.MA_Type, name, None)

    def __call__(self, *args):
        return self.function(*(a.ma_type if isinstance(a, _Function) else a for a in args))


_FUNCTIONS = {name: _Function(name) for name in talib.get_functions()}


def talib_keys(o, h, lo, c, v) -> dict[str, np.ndarray]:
    """Every key of CALLS on one scrip's history (float64 columns in date order).

    ``o`` keeps the OHLCV signature of the reference; no call reads the open.
    """
    columns = {"high": h, "low": lo, "close": c, "volume": v}
    namespace = {**_FUNCTIONS, **columns}
    return {key: eval(call, {"__builtins__": {}}, namespace) for key, call in CALLS.items()}


def relative_difference(got: float, expected: float) -> float:
    """The contract's measure: |v - talib| / max(1, |talib|)."""
    return abs(got - expected) / max(1.0, abs(expected))
