{% macro dse_atr(n) %}
    {#-
        ATR(high, low, close, n) as TA-Lib computes it: the true range needs the previous close,
        so it starts at row 2; the first ATR (row n + 1) is the mean of the first n true ranges,
        then Wilder's smoothing: atr = (atr * (n - 1) + tr) / n.
        State: [rows seen, previous close, ATR (sum of true ranges while seeding)].
    -#}
    {%- set st = 'st__atr_' ~ n -%}
    {{ return({
        'outputs': {'atr_' ~ n: 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then ' ~ st ~ '[3] end'},
        'recursive': {
            'name': 'atr_' ~ n,
            'length': 3,
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close'},
            'declare': ['true_range float8;'],
            'body': dse_atr_step(n),
        },
    }) }}
{% endmacro %}


{% macro dse_atr_step(n) %}
    {%- set body -%}
if state[1] > 0 then
    true_range := greatest(high - low, abs(state[2] - high), abs(state[2] - low));
    if state[1] > {{ n }} then
        state[3] := (state[3] * {{ n - 1 }} + true_range) / {{ n }};
    else
        state[3] := state[3] + true_range;
        if state[1] = {{ n }} then
            state[3] := state[3] / {{ n }};
        end if;
    end if;
end if;
state[1] := state[1] + 1;
state[2] := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
