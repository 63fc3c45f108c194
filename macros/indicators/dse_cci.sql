{% macro dse_cci(n) %}
    {#-
        CCI(high, low, close, n) as TA-Lib computes it: tp = (high + low + close) / 3; over the
        last n rows mean = sum(tp) / n and mean deviation = sum(|tp - mean|) / n, both summed
        in TA-Lib's ring-buffer order (slot = row % n, not date order: the rounding of the mean
        shows when tp is close to it); CCI = (tp - mean) / (0.015 * mean deviation), 0 where
        either is within 1e-14 of the mean's size. First value at row n.
        State: [rows seen, CCI of the last row, the last n typical prices in a ring].
    -#}
    {%- set name = 'cci_' ~ n -%}
    {%- set st = 'st__' ~ name -%}
    {{ return({
        'outputs': {name: 'case when ' ~ st ~ '[1] >= ' ~ n ~ ' then ' ~ st ~ '[2] end'},
        'recursive': {
            'name': name,
            'length': 2 + n,
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close'},
            'declare': [
                'typical float8 := (high + low + price) / 3;', 'mean float8;',
                'mean_deviation float8;', 'distance float8;',
            ],
            'body': dse_cci_step(name, n),
        },
    }) }}
{% endmacro %}


{% macro dse_cci_step(name, n) %}
    {#-
        The two sums are written out, one expression each, in slot order: the same additions as
        loops, in half the time (a loop step is a PL/pgSQL statement).
    -#}
    {%- set slots = range(3, 3 + n) -%}
    {%- set body -%}
state[3 + state[1]::integer % {{ n }}] := typical;
state[1] := state[1] + 1;
if state[1] < {{ n }} then
    exit {{ name }};
end if;
mean := ({% for slot in slots %}state[{{ slot }}]{{ ' + ' if not loop.last }}{% endfor %}) / {{ n }};
mean_deviation := ({% for slot in slots %}abs(state[{{ slot }}] - mean){{ ' + ' if not loop.last }}{% endfor %}) / {{ n }};
distance := typical - mean;
if abs(distance) <= 1e-14 * abs(mean) or abs(mean_deviation) <= 1e-14 * abs(mean) then
    state[2] := 0;
else
    state[2] := distance / (0.015::float8 * mean_deviation);
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
