{% macro dse_extremes(n, block_size=none) %}
    {#- high_n = MAX(high, n) and low_n = MIN(low, n): the extremes of the last n rows, in blocks
        (dse_blocked_window). -#}
    {%- set highest = dse_blocked_window('max', 'high', n, 'high_' ~ n ~ '__max', block_size) -%}
    {%- set lowest = dse_blocked_window('min', 'low', n, 'low_' ~ n ~ '__min', block_size) -%}
    {{ return({
        'name': 'extremes_' ~ n,
        'levels': [dict(highest[0], **lowest[0]), dict(highest[1], **lowest[1])],
        'outputs': {
            'high_' ~ n: 'case when row_num >= ' ~ n ~ ' then high_' ~ n ~ '__max end',
            'low_' ~ n: 'case when row_num >= ' ~ n ~ ' then low_' ~ n ~ '__min end',
        },
        'first_rows': {'high_' ~ n: n, 'low_' ~ n: n},
        'lookback': n - 1,
        'windows': [('max', 'high', n, 'high_' ~ n ~ '__max'), ('min', 'low', n, 'low_' ~ n ~ '__min')],
    }) }}
{% endmacro %}
