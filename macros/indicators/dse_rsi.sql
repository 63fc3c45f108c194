{% macro dse_rsi(n) %}
    {#-
        RSI(close, n) as TA-Lib computes it: the first n price changes are averaged, then both
        averages follow Wilder's smoothing; first value at row n + 1. Where average gain plus
        average loss is exactly 0 (nothing moved) TA-Lib 0.8 answers 0.
        The slots gain and loss hold the averages (their sums while seeding).
    -#}
    {%- set name = 'rsi_' ~ n -%}
    {{ return({
        'name': name,
        'outputs': {
            name: 'case when {seen} > ' ~ n ~ ' then case when {gain} + {loss} > 0'
                ~ ' then 100 * ({gain} / ({gain} + {loss})) else 0 end end',
        },
        'first_rows': {name: n + 1},
        'recursive': {
            'name': name,
            'slots': [
                'seen', 'previous_close',
                'gain', 'loss',
            ],
            'inputs': {'price': 'close'},
            'declare': ['change float8;'],
            'body': dse_rsi_step(n),
        },
    }) }}
{% endmacro %}


{% macro dse_rsi_step(n) %}
    {%- set body -%}
if {seen} > 0 then
    change := price - {previous_close};
    if {seen} > {{ n }} then
        {gain} := {gain} * {{ n - 1 }};
        {loss} := {loss} * {{ n - 1 }};
    end if;
    if change < 0 then
        {loss} := {loss} - change;
    else
        {gain} := {gain} + change;
    end if;
    if {seen} >= {{ n }} then
        {gain} := {gain} / {{ n }};
        {loss} := {loss} / {{ n }};
    end if;
end if;
{seen} := {seen} + 1;
{previous_close} := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
