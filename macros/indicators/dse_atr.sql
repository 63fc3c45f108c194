{% macro dse_atr(n) %}
    {#-
        ATR(high, low, close, n) as TA-Lib computes it: the true range needs the previous close,
        so it starts at row 2; the first ATR (row n + 1) is the mean of the first n true ranges,
        then Wilder's smoothing: atr = (atr * (n - 1) + tr) / n.
        The slot atr holds the sum of the true ranges while seeding.
    -#}
    {%- set name = 'atr_' ~ n -%}
    {{ return({
        'name': name,
        'outputs': {name: 'case when {seen} > ' ~ n ~ ' then {atr} end'},
        'first_rows': {name: n + 1},
        'recursive': {
            'name': name,
            'slots': [
                'seen', 'previous_close',
                'atr',
            ],
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close'},
            'declare': ['true_range float8;'],
            'body': dse_atr_step(n),
        },
    }) }}
{% endmacro %}


{% macro dse_atr_step(n) %}
    {%- set body -%}
if {seen} > 0 then
    true_range := greatest(high - low, abs({previous_close} - high), abs({previous_close} - low));
    if {seen} > {{ n }} then
        {atr} := ({atr} * {{ n - 1 }} + true_range) / {{ n }};
    else
        {atr} := {atr} + true_range;
        if {seen} = {{ n }} then
            {atr} := {atr} / {{ n }};
        end if;
    end if;
end if;
{seen} := {seen} + 1;
{previous_close} := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
