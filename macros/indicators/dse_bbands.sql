{% macro dse_bbands(n, deviations) %}
    {#-
        BBANDS(close, n, deviations, deviations, SMA) as TA-Lib computes it: the middle band is
        SMA(n); the deviation is the population one, from TA-Lib's own running variance
        (dse_variance_step), which carries state from row to row. First value at row n.
    -#}
    {%- set name = 'bb_' ~ n -%}
    {%- set ready = 'case when row_num >= ' ~ n ~ ' then ' -%}
    {%- set middle = 'bb_middle_' ~ n -%}
    {%- set width = deviations ~ ' * sqrt({last_variance})' -%}
    {{ return({
        'name': name,
        'levels': [{middle: 'sum(close) ' ~ dse_trailing(n) ~ ' / ' ~ n}],
        'outputs': {
            'bb_upper_' ~ n: ready ~ middle ~ ' + ' ~ width ~ ' end',
            middle: ready ~ middle ~ ' end',
            'bb_lower_' ~ n: ready ~ middle ~ ' - ' ~ width ~ ' end',
        },
        'first_rows': {'bb_upper_' ~ n: n, middle: n, 'bb_lower_' ~ n: n},
        'recursive': dse_variance_fragment(name, 'price', 'close', n),
        'lookback': n - 1,
    }) }}
{% endmacro %}
