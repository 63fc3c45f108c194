{% macro dse_sma(column, periods, prefix='sma') %}
    {#- SMA(column, n): the plain mean of the last n rows; TA-Lib's first value is at row n. -#}
    {%- set level = {} -%}
    {%- set keys = {} -%}
    {%- for n in periods -%}
        {%- do keys.update({prefix ~ '_' ~ n: prefix ~ '_' ~ n}) -%}
        {%- do level.update({
            prefix ~ '_' ~ n:
                'case when row_num >= ' ~ n ~ ' then sum(' ~ column ~ ') '
                ~ dse_trailing(n) ~ ' / ' ~ n ~ ' end'
        }) -%}
    {%- endfor -%}
    {{ return({'levels': [level], 'outputs': keys, 'lookback': periods | max - 1}) }}
{% endmacro %}
