{% macro dse_rsi(n) %}
    {#-
        RSI(close, n) as TA-Lib computes it: the first n price changes are averaged, then both
        averages follow Wilder's smoothing; first value at row n + 1. Where average gain plus
        average loss is exactly 0 (nothing moved) TA-Lib 0.8 answers 0.
        State: [rows seen, previous close, average gain (sum while seeding), average loss].
    -#}
    {%- set st = 'st__rsi_' ~ n -%}
    {{ return({
        'outputs': {
            'rsi_' ~ n: 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then case when ' ~ st ~ '[3] + '
                ~ st ~ '[4] > 0 then 100 * (' ~ st ~ '[3] / (' ~ st ~ '[3] + ' ~ st ~ '[4]))'
                ~ ' else 0 end end',
        },
        'recursive': {
            'name': 'rsi_' ~ n,
            'length': 4,
            'inputs': {'price': 'close'},
            'declare': ['change float8;'],
            'body': dse_rsi_step(n),
        },
    }) }}
{% endmacro %}


{% macro dse_rsi_step(n) %}
    {%- set body -%}
if state[1] > 0 then
    change := price - state[2];
    if state[1] > {{ n }} then
        state[3] := state[3] * {{ n - 1 }};
        state[4] := state[4] * {{ n - 1 }};
    end if;
    if change < 0 then
        state[4] := state[4] - change;
    else
        state[3] := state[3] + change;
    end if;
    if state[1] >= {{ n }} then
        state[3] := state[3] / {{ n }};
        state[4] := state[4] / {{ n }};
    end if;
end if;
state[1] := state[1] + 1;
state[2] := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
