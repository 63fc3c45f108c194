{% macro dse_variance_step(name, value, n, skip_nulls=false) %}
    {#-
        The body of the fragment `name` (dse_recursive_aggregate): the population variance of
        the last n values of the input `value` (a null one skipped with skip_nulls) exactly as TA-Lib 0.8 computes it (docs/talib-conventions.md,
        "Variance"). TA-Lib keeps running sums of deviations from an anchor that it re-anchors
        now and then; the rounding of that path is part of its answer, so the steps are
        mirrored one for one.
        State: [rows seen, anchor, s1, s2, rows until the forced re-anchor, variance of the
        last row, then the last n values in a ring (slot = row % n)].
    -#}
    {%- set body -%}
{%- if skip_nulls %}
if {{ value }} is null then
    exit {{ name }};
end if;
{%- endif %}
row_index := state[1]::integer;
if row_index = 0 then
    state[2] := {{ value }};
    state[5] := {{ 32 * n }};
end if;
state[7 + row_index % {{ n }}] := {{ value }};
deviation := {{ value }} - state[2];
state[3] := state[3] + deviation;
state[4] := state[4] + deviation * deviation;
state[1] := row_index + 1;
if row_index < {{ n - 1 }} then
    exit {{ name }};
end if;

mean_deviation := state[3] * inverse;
variance := state[4] * inverse - mean_deviation * mean_deviation;
-- The window's oldest row leaves the running sums.
first_row := row_index - {{ n - 1 }};
deviation := state[7 + first_row % {{ n }}] - state[2];
state[3] := state[3] - deviation;
leaving_square := deviation * deviation;
state[4] := state[4] - leaving_square;
state[5] := state[5] - 1;

if variance < 1e-6 * (state[4] * inverse)
    or leaving_square > 1e6 * state[4]
    or state[5] <= 0 then
    -- Re-anchor on the window's mean and rebuild the sums from the window.
    state[5] := {{ 32 * n }};
    total := 0;
    for r in first_row .. row_index loop
        total := total + state[7 + r % {{ n }}];
    end loop;
    state[2] := total * inverse;
    state[3] := 0;
    state[4] := 0;
    for r in first_row .. row_index loop
        deviation := state[7 + r % {{ n }}] - state[2];
        state[3] := state[3] + deviation;
        state[4] := state[4] + deviation * deviation;
    end loop;
    mean_deviation := state[3] * inverse;
    variance := state[4] * inverse - mean_deviation * mean_deviation;
    if variance < 1e-12 * (state[4] * inverse) then
        variance := 0;
    end if;
    deviation := state[7 + first_row % {{ n }}] - state[2];
    state[3] := state[3] - deviation;
    state[4] := state[4] - deviation * deviation;
end if;
state[6] := variance;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}


{% macro dse_variance_fragment(name, parameter, expression, n, skip_nulls=false) %}
    {#- The recursive fragment `name`: the variance of the last n values of `expression`, the
        aggregate's input `parameter`. -#}
    {{ return({
        'name': name,
        'length': 6 + n,
        'inputs': {parameter: expression},
        'declare': [
            'row_index integer;', 'first_row integer;', 'inverse float8 := 1.0::float8 / ' ~ n ~ ';',
            'deviation float8;', 'leaving_square float8;', 'mean_deviation float8;',
            'variance float8;', 'total float8;',
        ],
        'body': dse_variance_step(name, parameter, n, skip_nulls),
    }) }}
{% endmacro %}
