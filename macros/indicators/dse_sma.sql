{% macro dse_sma(column, periods, prefix='sma') %}
    {#- SMA(column, n): the plain mean of the last n rows; TA-Lib's first value is at row n. -#}
    {%- set level_1 = {} -%}
    {%- set level_2 = {} -%}
    {%- set outputs, first_rows = {}, {} -%}
    {%- set windows = [] -%}
    {%- for n in periods -%}
        {%- set key = prefix ~ '_' ~ n -%}
        {%- do windows.append(('sum', column, n, key ~ '__sum')) -%}
        {%- set sums = dse_blocked_window('sum', column, n, key ~ '__sum') -%}
        {%- do level_1.update(sums[0]) -%}
        {%- do level_2.update(sums[1]) -%}
        {%- do outputs.update({key: 'case when row_num >= ' ~ n ~ ' then ' ~ key ~ '__sum / ' ~ n ~ ' end'}) -%}
        {%- do first_rows.update({key: n}) -%}
    {%- endfor -%}
    {{ return({
        'name': prefix ~ '_' ~ periods | join('_'),
        'levels': [level_1, level_2],
        'outputs': outputs,
        'first_rows': first_rows,
        'lookback': periods | max - 1,
        'windows': windows,
    }) }}
{% endmacro %}
