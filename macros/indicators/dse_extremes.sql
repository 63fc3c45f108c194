{% macro dse_extremes(n) %}
    {#- high_n = MAX(high, n) and low_n = MIN(low, n): the extremes of the last n rows. -#}
    {{ return({
        'levels': [{
            'high_' ~ n: 'case when row_num >= ' ~ n ~ ' then max(high) ' ~ dse_trailing(n) ~ ' end',
            'low_' ~ n: 'case when row_num >= ' ~ n ~ ' then min(low) ' ~ dse_trailing(n) ~ ' end',
        }],
        'outputs': {'high_' ~ n: 'high_' ~ n, 'low_' ~ n: 'low_' ~ n},
        'lookback': n - 1,
    }) }}
{% endmacro %}
