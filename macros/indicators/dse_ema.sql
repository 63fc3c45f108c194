{% macro dse_ema(periods) %}
    {#-
        EMA(close, n) as TA-Lib computes it: seeded with the mean of the first n closes (first
        value at row n), then ema += (close - ema) * 2 / (n + 1).
        All periods share one fragment of the recursive aggregate: the rows seen, then per
        period a slot ema_<n> holding its running sum while seeding and its EMA after.
    -#}
    {%- set name = 'ema_' ~ periods | join('_') -%}
    {%- set keys, first_rows, slots = {}, {}, ['seen'] -%}
    {%- for n in periods -%}
        {%- do keys.update({'ema_' ~ n: 'case when {seen} >= ' ~ n ~ ' then {ema_' ~ n ~ '} end'}) -%}
        {%- do first_rows.update({'ema_' ~ n: n}) -%}
        {%- do slots.append('ema_' ~ n) -%}
    {%- endfor -%}
    {{ return({
        'name': name,
        'outputs': keys,
        'first_rows': first_rows,
        'recursive': {
            'name': name,
            'slots': slots,
            'inputs': {'price': 'close'},
            'declare': ['seen float8;'],
            'body': dse_ema_step(periods),
        },
    }) }}
{% endmacro %}


{% macro dse_ema_step(periods) %}
    {#- A step per period, no loop (a loop step is a PL/pgSQL statement too). -#}
    {%- set body -%}
seen := {seen};
{%- for n in periods %}
{%- set ema = '{ema_' ~ n ~ '}' %}
if seen < {{ n }} then
    {{ ema }} := {{ ema }} + price;
    if seen = {{ n - 1 }} then
        {{ ema }} := {{ ema }} / {{ n }};
    end if;
else
    {{ ema }} := (price - {{ ema }}) * (2.0::float8 / {{ n + 1 }}) + {{ ema }};
end if;
{%- endfor %}
{seen} := seen + 1;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
