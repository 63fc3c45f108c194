{% macro dse_indicator_families() %}
    {#-
        Every indicator family the `indicators` model computes, in key order. Adding an indicator
        is one family macro (macros/indicators/) and one line here.
    -#}
    {{ return([
        dse_sma('close', [5, 10, 20, 50, 200]),
        dse_ema([12, 26, 50, 200]),
        dse_macd(12, 26, 9),
        dse_rsi(14),
        dse_bbands(20, 2),
        dse_atr(14),
    ]) }}
{% endmacro %}
