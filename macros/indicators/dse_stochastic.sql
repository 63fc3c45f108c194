{% macro dse_range_is_flat(highest, lowest) %}
    {#- TA-Lib's scaled zero test on a price range: equal to within a few tens of ulp. -#}
    {{- 'abs(' ~ highest ~ ' - ' ~ lowest ~ ') <= 1e-14 * (abs(' ~ highest ~ ') + abs(' ~ lowest ~ '))' -}}
{% endmacro %}


{% macro dse_willr(n) %}
    {#-
        WILLR(high, low, close, n) as TA-Lib 0.8 computes it: ((hh - close) / (hh - ll)) * -100
        over the last n rows, clamped to [-100, 0]; 0 where the range is flat. First value at
        row n.
    -#}
    {%- set hh, ll = 'willr_high_' ~ n, 'willr_low_' ~ n -%}
    {{ return({
        'name': 'willr_' ~ n,
        'levels': [{
            hh: 'max(high) ' ~ dse_trailing(n),
            ll: 'min(low) ' ~ dse_trailing(n),
        }],
        'outputs': {
            'willr_' ~ n: 'case when row_num >= ' ~ n ~ ' then case when '
                ~ dse_range_is_flat(hh, ll) ~ ' then 0 else least(greatest(((' ~ hh
                ~ ' - close) / (' ~ hh ~ ' - ' ~ ll ~ ')) * -100, -100), 0) end end',
        },
        'first_rows': {'willr_' ~ n: n},
        'lookback': n - 1,
    }) }}
{% endmacro %}


{% macro dse_stoch(fastk, slowk, slowd) %}
    {#-
        STOCH(high, low, close, fastk, slowk, SMA, slowd, SMA) as TA-Lib computes it: fast %K =
        ((close - ll) / (hh - ll)) * 100 over fastk rows (0 where the range is flat, never
        clamped); stoch_k = SMA(fast %K, slowk); stoch_d = SMA(stoch_k, slowd). Both keys
        start at row fastk + slowk + slowd - 2.
    -#}
    {%- set hh, ll = 'stoch_high_' ~ fastk, 'stoch_low_' ~ fastk -%}
    {%- set first_row = fastk + slowk + slowd - 2 -%}
    {{ return({
        'name': 'stoch_' ~ fastk ~ '_' ~ slowk ~ '_' ~ slowd,
        'levels': [
            {hh: 'max(high) ' ~ dse_trailing(fastk), ll: 'min(low) ' ~ dse_trailing(fastk)},
            {
                'stoch_fast_k': 'case when ' ~ dse_range_is_flat(hh, ll) ~ ' then 0 else ((close - '
                    ~ ll ~ ') / (' ~ hh ~ ' - ' ~ ll ~ ')) * 100 end',
            },
            {'stoch_slow_k': 'sum(stoch_fast_k) ' ~ dse_trailing(slowk) ~ ' / ' ~ slowk},
            {'stoch_slow_d': 'sum(stoch_slow_k) ' ~ dse_trailing(slowd) ~ ' / ' ~ slowd},
        ],
        'outputs': {
            'stoch_k': 'case when row_num >= ' ~ first_row ~ ' then stoch_slow_k end',
            'stoch_d': 'case when row_num >= ' ~ first_row ~ ' then stoch_slow_d end',
        },
        'first_rows': {'stoch_k': first_row, 'stoch_d': first_row},
        'lookback': first_row - 1,
    }) }}
{% endmacro %}
