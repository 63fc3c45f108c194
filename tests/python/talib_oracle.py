"""TA-Lib as the oracle: every key of the contract, computed on one scrip's accepted rows."""

from __future__ import annotations

import numpy as np
import talib


def talib_keys(o, h, lo, c, v) -> dict[str, np.ndarray]:
    """The contract's table (section 3), call for call."""
    out: dict[str, np.ndarray] = {}
    for n in (5, 10, 20, 50, 200):
        out[f"sma_{n}"] = talib.SMA(c, n)
    for n in (12, 26, 50, 200):
        out[f"ema_{n}"] = talib.EMA(c, n)
    out["macd"], out["macd_signal"], out["macd_hist"] = talib.MACD(c, 12, 26, 9)
    out["rsi_14"] = talib.RSI(c, 14)
    out["bb_upper_20"], out["bb_middle_20"], out["bb_lower_20"] = talib.BBANDS(c, 20, 2, 2, 0)
    out["atr_14"] = talib.ATR(h, lo, c, 14)
    out["adx_14"] = talib.ADX(h, lo, c, 14)
    out["plus_di_14"] = talib.PLUS_DI(h, lo, c, 14)
    out["minus_di_14"] = talib.MINUS_DI(h, lo, c, 14)
    out["stoch_k"], out["stoch_d"] = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    out["cci_20"] = talib.CCI(h, lo, c, 20)
    out["willr_14"] = talib.WILLR(h, lo, c, 14)
    out["mfi_14"] = talib.MFI(h, lo, c, v, 14)
    out["obv"] = talib.OBV(c, v)
    out["roc_10"] = talib.ROC(c, 10)
    out["sar"] = talib.SAR(h, lo, 0.02, 0.2)
    out["ret_1d"] = talib.ROCP(c, 1)
    out["volatility_20"] = talib.STDDEV(talib.ROCP(c, 1), 20, 1)
    out["high_252"] = talib.MAX(h, 252)
    out["low_252"] = talib.MIN(lo, 252)
    out["volume_sma_20"] = talib.SMA(v, 20)
    return out


def relative_difference(got: float, expected: float) -> float:
    """The contract's measure: |v - talib| / max(1, |talib|)."""
    return abs(got - expected) / max(1.0, abs(expected))
