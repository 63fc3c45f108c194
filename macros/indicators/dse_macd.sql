{% macro dse_macd(fast, slow, signal) %}
    {#-
        MACD(close, fast, slow, signal) with TA-Lib's own seeding: both EMAs are seeded at row
        `slow`, the slow one with the mean of the first `slow` closes, the fast one with the
        mean of the `fast` closes ending there; the signal EMA is seeded with the mean of the
        first `signal` MACD values. All three keys start at row slow + signal - 1.
        State: [rows seen, slow EMA (sum while seeding), fast EMA (sum), signal EMA (sum)].
    -#}
    {%- set st = 'st__macd' -%}
    {%- set first_row = slow + signal - 1 -%}
    {%- set ready = 'case when ' ~ st ~ '[1] >= ' ~ first_row ~ ' then ' -%}
    {{ return({
        'outputs': {
            'macd': ready ~ st ~ '[3] - ' ~ st ~ '[2] end',
            'macd_signal': ready ~ st ~ '[4] end',
            'macd_hist': ready ~ '(' ~ st ~ '[3] - ' ~ st ~ '[2]) - ' ~ st ~ '[4] end',
        },
        'recursive': {
            'name': 'macd',
            'length': 4,
            'inputs': {'price': 'close'},
            'declare': ['row_index float8;', 'macd_line float8;'],
            'body': dse_macd_step(fast, slow, signal),
        },
    }) }}
{% endmacro %}


{% macro dse_macd_step(fast, slow, signal) %}
    {%- set body -%}
row_index := state[1];
-- Slow EMA: seeded with the mean of rows 0 .. slow - 1.
if row_index < {{ slow }} then
    state[2] := state[2] + price;
    if row_index = {{ slow - 1 }} then
        state[2] := state[2] / {{ slow }};
    end if;
else
    state[2] := (price - state[2]) * (2.0::float8 / {{ slow + 1 }}) + state[2];
end if;
-- Fast EMA: seeded at the same row, with the mean of rows slow - fast .. slow - 1.
if row_index < {{ slow }} then
    if row_index >= {{ slow - fast }} then
        state[3] := state[3] + price;
    end if;
    if row_index = {{ slow - 1 }} then
        state[3] := state[3] / {{ fast }};
    end if;
else
    state[3] := (price - state[3]) * (2.0::float8 / {{ fast + 1 }}) + state[3];
end if;
-- Signal EMA of the MACD line, which exists from row slow - 1 on.
if row_index >= {{ slow - 1 }} then
    macd_line := state[3] - state[2];
    if row_index < {{ slow - 1 + signal }} then
        state[4] := state[4] + macd_line;
        if row_index = {{ slow - 2 + signal }} then
            state[4] := state[4] / {{ signal }};
        end if;
    else
        state[4] := (macd_line - state[4]) * (2.0::float8 / {{ signal + 1 }}) + state[4];
    end if;
end if;
state[1] := row_index + 1;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
