{% macro dse_indicator_families() %}
    {#-
        Every indicator family the `indicators` model computes, in key order: the TA-Lib keys,
        then the old backfill job's (CONTRACT.md section 3), each set if var key_sets picks
        it. Adding an indicator is one family macro (macros/indicators/) and one line here.
        SMA 50 and 200 are a family of their own: daily runs compute the long windows apart
        (dse_indicator_plan). The 252-row extremes take blocks of 14 rows, the max(high) and
        min(low) of STOCH's and WILLR's window: one window node fewer than blocks of 18.
    -#}
    {%- set talib = [
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
    ] -%}
    {%- set backfill = [
        dse_backfill_windows(),
        dse_backfill_long(),
        dse_backfill_recursive(),
    ] -%}
    {%- set sets = dse_key_sets() -%}
    {{ return((talib if 'talib' in sets else []) + (backfill if 'backfill' in sets else [])) }}
{% endmacro %}


{% macro dse_key_sets() %}
    {#-
        The key sets a build computes (var key_sets): `talib`, `backfill` or both (the
        default). A single name is taken as a list of one. Anything else stops the compile.
    -#}
    {%- set known = ['talib', 'backfill'] -%}
    {%- set raw = var('key_sets', known) -%}
    {%- set sets = [raw] if raw is string else raw -%}
    {%- if sets is not iterable or sets is mapping or not sets
        or sets | reject('in', known) | list -%}
        {{ exceptions.raise_compiler_error(
            "var key_sets must list one or both of talib, backfill (e.g. --vars '{key_sets: "
            ~ "[backfill]}'), got " ~ raw | string) }}
    {%- endif -%}
    {{ return(sets | list) }}
{% endmacro %}
