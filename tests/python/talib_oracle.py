"""TA-Lib as the oracle: every key of the contract, computed on one scrip's accepted rows.

The calls live once, in the benchmark's TA-Lib job (what a user would write instead); the
tests use the same function.
"""

from __future__ import annotations

from dse_indicators.bench_talib_job import talib_keys

__all__ = ["relative_difference", "talib_keys"]


def relative_difference(got: float, expected: float) -> float:
    """The contract's measure: |v - talib| / max(1, |talib|)."""
    return abs(got - expected) / max(1.0, abs(expected))
