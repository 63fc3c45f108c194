{% macro dse_sar(acceleration, maximum) %}
    {#-
        SAR(high, low, acceleration, maximum) as TA-Lib computes it (docs/talib-conventions.md):
        the first direction from the first two bars' directional movement, then Wilder's stop
        and reverse. TA-Lib steps the stop with a fused multiply-add, and one ulp can decide a
        reversal, so the step uses dse_fma. First value on the second row.
        State: [rows seen, 1 if long, next stop, extreme point, acceleration factor,
        previous high, previous low, output, first high, first low].
    -#}
    {%- set st = 'st__sar' -%}
    {{ return({
        'outputs': {'sar': 'case when ' ~ st ~ '[1] >= 2 then ' ~ st ~ '[8] end'},
        'recursive': {
            'name': 'sar',
            'length': 10,
            'inputs': {'high': 'high', 'low': 'low'},
            'declare': ['row_index integer;', 'previous_high float8;', 'previous_low float8;'],
            'body': dse_sar_step(acceleration, maximum),
        },
        'functions': dse_fma_functions(),
    }) }}
{% endmacro %}


{% macro dse_fma_functions() %}
    {#-
        dse_fma(a, b, c): a * b + c with one rounding, as C's fma(). The product's exact error
        comes from Dekker's split, the sum's from Knuth's two-sum; adding both corrections
        before the final rounding gives fma's result except in rare double-rounding ties.
    -#}
    {%- set fma -%}
create or replace function {{ dse_function('dse_fma') }}(a float8, b float8, c float8)
returns float8 language plpgsql immutable parallel safe as $fn$
declare
    product float8 := a * b;
    split float8;
    a_high float8;
    a_low float8;
    b_high float8;
    b_low float8;
    product_error float8;
    total float8;
    virtual float8;
    sum_error float8;
begin
    split := 134217729 * a;
    a_high := split - (split - a);
    a_low := a - a_high;
    split := 134217729 * b;
    b_high := split - (split - b);
    b_low := b - b_high;
    product_error := ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low;
    total := product + c;
    virtual := total - product;
    sum_error := (product - (total - virtual)) + (c - virtual);
    return total + (sum_error + product_error);
end
$fn$
    {%- endset -%}
    {{ return([fma]) }}
{% endmacro %}


{% macro dse_sar_step(acceleration, maximum) %}
    {%- set step = ([acceleration, maximum] | min) ~ '::float8' -%}
    {%- set ceiling = maximum ~ '::float8' -%}
    {%- set body -%}
row_index := state[1]::integer;
state[1] := row_index + 1;
if row_index = 0 then
    state[9] := high;
    state[10] := low;
    exit sar;
end if;
if row_index = 1 then
    -- Short when the first move down is real and larger than the move up; long otherwise.
    if state[10] - low > 0 and state[10] - low > high - state[9] then
        state[2] := 0;
        state[4] := low;
        state[3] := state[9];
    else
        state[2] := 1;
        state[4] := high;
        state[3] := state[10];
    end if;
    state[5] := {{ step }};
    state[6] := high;
    state[7] := low;
end if;
previous_high := state[6];
previous_low := state[7];
state[6] := high;
state[7] := low;
if state[2] = 1 then
    if low <= state[3] then
        state[2] := 0;
        state[3] := greatest(state[4], previous_high, high);
        state[8] := state[3];
        state[5] := {{ step }};
        state[4] := low;
        state[3] := greatest(
            {{ dse_function('dse_fma') }}(state[5], state[4] - state[3], state[3]),
            previous_high, high
        );
    else
        state[8] := state[3];
        if high > state[4] then
            state[4] := high;
            state[5] := least(state[5] + {{ step }}, {{ ceiling }});
        end if;
        state[3] := least(
            {{ dse_function('dse_fma') }}(state[5], state[4] - state[3], state[3]),
            previous_low, low
        );
    end if;
elsif high >= state[3] then
    state[2] := 1;
    state[3] := least(state[4], previous_low, low);
    state[8] := state[3];
    state[5] := {{ step }};
    state[4] := high;
    state[3] := least(
        {{ dse_function('dse_fma') }}(state[5], state[4] - state[3], state[3]),
        previous_low, low
    );
else
    state[8] := state[3];
    if low < state[4] then
        state[4] := low;
        state[5] := least(state[5] + {{ step }}, {{ ceiling }});
    end if;
    state[3] := greatest(
        {{ dse_function('dse_fma') }}(state[5], state[4] - state[3], state[3]),
        previous_high, high
    );
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
