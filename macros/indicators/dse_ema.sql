{% macro dse_ema(periods) %}
    {#-
        EMA(close, n) as TA-Lib computes it: seeded with the mean of the first n closes (first
        value at row n), then ema += (close - ema) * 2 / (n + 1).
        All periods share one fragment of the recursive aggregate.
        State: [rows seen, then per period its running sum while seeding and its EMA after].
    -#}
    {%- set name = 'ema_' ~ periods | join('_') -%}
    {%- set st = 'st__' ~ name -%}
    {%- set keys = {} -%}
    {%- for n in periods -%}
        {%- do keys.update({
            'ema_' ~ n: 'case when ' ~ st ~ '[1] >= ' ~ n ~ ' then ' ~ st ~ '[' ~ (loop.index + 1) ~ '] end'
        }) -%}
    {%- endfor -%}
    {{ return({
        'outputs': keys,
        'recursive': {
            'name': name,
            'length': 1 + periods | length,
            'inputs': {'price': 'close'},
            'declare': ['seen float8;'],
            'body': dse_ema_step(periods),
        },
    }) }}
{% endmacro %}


{% macro dse_ema_step(periods) %}
    {#- A step per period, no loop (a loop step is a PL/pgSQL statement too). -#}
    {%- set body -%}
seen := state[1];
{%- for n in periods %}
{%- set slot = loop.index + 1 %}
if seen < {{ n }} then
    state[{{ slot }}] := state[{{ slot }}] + price;
    if seen = {{ n - 1 }} then
        state[{{ slot }}] := state[{{ slot }}] / {{ n }};
    end if;
else
    state[{{ slot }}] := (price - state[{{ slot }}]) * (2.0::float8 / {{ n + 1 }}) + state[{{ slot }}];
end if;
{%- endfor %}
state[1] := seen + 1;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
