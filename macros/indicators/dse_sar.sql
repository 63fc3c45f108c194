{% macro dse_sar(acceleration, maximum) %}
    {#-
        SAR(high, low, acceleration, maximum) as TA-Lib computes it (docs/talib-conventions.md):
        the first direction from the first two bars' directional movement, then Wilder's stop
        and reverse. TA-Lib steps the stop with a fused multiply-add, and one ulp can decide a
        reversal, so the step uses dse_fma. First value on the second row.
        Slots: is_long is 1 if long, 0 if short; stop is the next stop, extreme the extreme
        point, factor the acceleration factor.
    -#}
    {{ return({
        'name': 'sar',
        'outputs': {'sar': 'case when {seen} >= 2 then {output} end'},
        'first_rows': {'sar': 2},
        'recursive': {
            'name': 'sar',
            'slots': [
                'seen', 'is_long',
                'stop', 'extreme', 'factor',
                'last_high', 'last_low', 'output', 'first_high', 'first_low',
            ],
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
row_index := {seen}::integer;
{seen} := row_index + 1;
if row_index = 0 then
    {first_high} := high;
    {first_low} := low;
    exit sar;
end if;
if row_index = 1 then
    -- Short when the first move down is real and larger than the move up; long otherwise.
    if {first_low} - low > 0 and {first_low} - low > high - {first_high} then
        {is_long} := 0;
        {extreme} := low;
        {stop} := {first_high};
    else
        {is_long} := 1;
        {extreme} := high;
        {stop} := {first_low};
    end if;
    {factor} := {{ step }};
    {last_high} := high;
    {last_low} := low;
end if;
previous_high := {last_high};
previous_low := {last_low};
{last_high} := high;
{last_low} := low;
if {is_long} = 1 then
    if low <= {stop} then
        {is_long} := 0;
        {stop} := greatest({extreme}, previous_high, high);
        {output} := {stop};
        {factor} := {{ step }};
        {extreme} := low;
        {stop} := greatest(
            {{ dse_function('dse_fma') }}({factor}, {extreme} - {stop}, {stop}),
            previous_high, high
        );
    else
        {output} := {stop};
        if high > {extreme} then
            {extreme} := high;
            {factor} := least({factor} + {{ step }}, {{ ceiling }});
        end if;
        {stop} := least(
            {{ dse_function('dse_fma') }}({factor}, {extreme} - {stop}, {stop}),
            previous_low, low
        );
    end if;
elsif high >= {stop} then
    {is_long} := 1;
    {stop} := least({extreme}, previous_low, low);
    {output} := {stop};
    {factor} := {{ step }};
    {extreme} := high;
    {stop} := least(
        {{ dse_function('dse_fma') }}({factor}, {extreme} - {stop}, {stop}),
        previous_low, low
    );
else
    {output} := {stop};
    if low < {extreme} then
        {extreme} := low;
        {factor} := least({factor} + {{ step }}, {{ ceiling }});
    end if;
    {stop} := greatest(
        {{ dse_function('dse_fma') }}({factor}, {extreme} - {stop}, {stop}),
        previous_high, high
    );
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
