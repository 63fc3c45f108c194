{% macro dse_macd(fast, slow, signal) %}
    {#-
        MACD(close, fast, slow, signal) with TA-Lib's own seeding: both EMAs are seeded at row
        `slow`, the slow one with the mean of the first `slow` closes, the fast one with the
        mean of the `fast` closes ending there; the signal EMA is seeded with the mean of the
        first `signal` MACD values. All three keys start at row slow + signal - 1.
        The slots slow, fast and signal hold the three EMAs (their sums while seeding).
    -#}
    {%- set first_row = slow + signal - 1 -%}
    {%- set ready = 'case when {seen} >= ' ~ first_row ~ ' then ' -%}
    {{ return({
        'name': 'macd',
        'outputs': {
            'macd': ready ~ '{fast} - {slow} end',
            'macd_signal': ready ~ '{signal} end',
            'macd_hist': ready ~ '({fast} - {slow}) - {signal} end',
        },
        'first_rows': {'macd': first_row, 'macd_signal': first_row, 'macd_hist': first_row},
        'recursive': {
            'name': 'macd',
            'slots': [
                'seen',
                'slow', 'fast', 'signal',
            ],
            'inputs': {'price': 'close'},
            'declare': ['row_index float8;', 'macd_line float8;'],
            'body': dse_macd_step(fast, slow, signal),
        },
    }) }}
{% endmacro %}


{% macro dse_macd_step(fast, slow, signal) %}
    {%- set body -%}
row_index := {seen};
-- Slow EMA: seeded with the mean of rows 0 .. slow - 1.
if row_index < {{ slow }} then
    {slow} := {slow} + price;
    if row_index = {{ slow - 1 }} then
        {slow} := {slow} / {{ slow }};
    end if;
else
    {slow} := (price - {slow}) * (2.0::float8 / {{ slow + 1 }}) + {slow};
end if;
-- Fast EMA: seeded at the same row, with the mean of rows slow - fast .. slow - 1.
if row_index < {{ slow }} then
    if row_index >= {{ slow - fast }} then
        {fast} := {fast} + price;
    end if;
    if row_index = {{ slow - 1 }} then
        {fast} := {fast} / {{ fast }};
    end if;
else
    {fast} := (price - {fast}) * (2.0::float8 / {{ fast + 1 }}) + {fast};
end if;
-- Signal EMA of the MACD line, which exists from row slow - 1 on.
if row_index >= {{ slow - 1 }} then
    macd_line := {fast} - {slow};
    if row_index < {{ slow - 1 + signal }} then
        {signal} := {signal} + macd_line;
        if row_index = {{ slow - 2 + signal }} then
            {signal} := {signal} / {{ signal }};
        end if;
    else
        {signal} := (macd_line - {signal}) * (2.0::float8 / {{ signal + 1 }}) + {signal};
    end if;
end if;
{seen} := row_index + 1;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
