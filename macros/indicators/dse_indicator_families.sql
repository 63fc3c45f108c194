{% macro dse_indicator_families() %}
    {#-
        Every indicator family the `indicators` model computes, in key order. Adding an indicator
        is one family macro (macros/indicators/) and one line here. SMA 50 and 200 are a family
        of their own: daily runs compute the long windows apart (dse_indicator_plan). The
        252-row extremes take blocks of 14 rows, the max(high) and min(low) of STOCH's and
        WILLR's window: one window node fewer than blocks of 18.
    -#}
    {{ return([
        dse_sma('close', [5, 10, 20]),
        dse_sma('close', [50, 200]),
        dse_ema([12, 26, 50, 200]),
        dse_macd(12, 26, 9),
        dse_rsi(14),
        dse_bbands(20, 2),
        dse_atr(14),
        dse_directional(14),
        dse_stoch(14, 3, 3),
        dse_cci(20),
        dse_willr(14),
        dse_mfi(14),
        dse_obv(),
        dse_returns(10),
        dse_sar(0.02, 0.2),
        dse_volatility(20),
        dse_extremes(252, block_size=14),
        dse_sma('volume::float8', [20], 'volume_sma'),
    ]) }}
{% endmacro %}
