{% macro dse_bbands(n, deviations) %}
    {#-
        BBANDS(close, n, deviations, deviations, SMA) as TA-Lib computes it: the middle band is
        SMA(n); the deviation is the population one, from TA-Lib's own running variance
        (dse_variance_v1), which carries state from row to row. First value at row n.
    -#}
    {%- set name = 'bb_' ~ n -%}
    {%- set st = 'st__' ~ name -%}
    {%- set ready = 'case when row_num >= ' ~ n ~ ' then ' -%}
    {%- set middle = 'bb_middle_' ~ n -%}
    {%- set width = deviations ~ ' * sqrt(' ~ st ~ '[6])' -%}
    {{ return({
        'levels': [{
            middle: 'sum(close) ' ~ dse_trailing(n) ~ ' / ' ~ n,
            st: dse_function('dse_variance_v1') ~ '(close, ' ~ n ~ ', seed__' ~ name ~ ') '
                ~ 'filter (where is_new) ' ~ dse_running(),
        }],
        'outputs': {
            'bb_upper_' ~ n: ready ~ middle ~ ' + ' ~ width ~ ' end',
            middle: ready ~ middle ~ ' end',
            'bb_lower_' ~ n: ready ~ middle ~ ' - ' ~ width ~ ' end',
        },
        'states': [(name, 6 + n)],
        'lookback': n - 1,
        'functions': dse_rolling_variance_functions(),
    }) }}
{% endmacro %}
