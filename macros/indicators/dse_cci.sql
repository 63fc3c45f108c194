{% macro dse_cci(n) %}
    {#-
        CCI(high, low, close, n) as TA-Lib computes it: tp = (high + low + close) / 3; over the
        last n rows mean = sum(tp) / n and mean deviation = sum(|tp - mean|) / n, both summed
        in TA-Lib's ring-buffer order (slot = row % n, not date order: the rounding of the mean
        shows when tp is close to it); CCI = (tp - mean) / (0.015 * mean deviation), 0 where
        either is within 1e-14 of the mean's size. First value at row n.
        Slots: the rows seen, the CCI of the last row, the last n typical prices in a ring
        (element row % n).
    -#}
    {%- set name = 'cci_' ~ n -%}
    {{ return({
        'name': name,
        'outputs': {name: 'case when {seen} >= ' ~ n ~ ' then {cci} end'},
        'first_rows': {name: n},
        'recursive': {
            'name': name,
            'slots': ['seen', 'cci', ('typicals', n)],
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
        The two sums are written out, one expression each, in ring order: the same additions as
        loops, without a PL/pgSQL statement per step.
    -#}
    {%- set body -%}
{typicals[{seen}::integer % {{ n }}]} := typical;
{seen} := {seen} + 1;
if {seen} < {{ n }} then
    exit {{ name }};
end if;
mean := ({% for i in range(n) %}{typicals[{{ i }}]}{{ ' + ' if not loop.last }}{% endfor %}) / {{ n }};
mean_deviation := ({% for i in range(n) %}abs({typicals[{{ i }}]} - mean){{ ' + ' if not loop.last }}{% endfor %}) / {{ n }};
distance := typical - mean;
if abs(distance) <= 1e-14 * abs(mean) or abs(mean_deviation) <= 1e-14 * abs(mean) then
    {cci} := 0;
else
    {cci} := distance / (0.015::float8 * mean_deviation);
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
