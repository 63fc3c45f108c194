{% macro dse_variance_step(name, value, n, skip_nulls=false) %}
    {#-
        The body of the fragment `name` (dse_recursive_aggregate): the population variance of
        the last n values of the input `value` (a null one skipped with skip_nulls) exactly as TA-Lib 0.8 computes it (docs/talib-conventions.md,
        "Variance"). TA-Lib keeps running sums of deviations from an anchor that it re-anchors
        now and then; the rounding of that path is part of its answer, so the steps are
        mirrored one for one.
        Slots: the rows seen, the anchor, the running sums s1 and s2 of the deviations from it,
        the rows until the forced re-anchor, the variance of the last row, then the last n
        values in a ring (element row % n).
    -#}
    {%- set body -%}
{%- if skip_nulls %}
if {{ value }} is null then
    exit {{ name }};
end if;
{%- endif %}
row_index := {seen}::integer;
if row_index = 0 then
    {anchor} := {{ value }};
    {until_reanchor} := {{ 32 * n }};
end if;
{window[row_index % {{ n }}]} := {{ value }};
deviation := {{ value }} - {anchor};
{s1} := {s1} + deviation;
{s2} := {s2} + deviation * deviation;
{seen} := row_index + 1;
if row_index < {{ n - 1 }} then
    exit {{ name }};
end if;

mean_deviation := {s1} * inverse;
variance := {s2} * inverse - mean_deviation * mean_deviation;
-- The window's oldest row leaves the running sums.
first_row := row_index - {{ n - 1 }};
deviation := {window[first_row % {{ n }}]} - {anchor};
{s1} := {s1} - deviation;
leaving_square := deviation * deviation;
{s2} := {s2} - leaving_square;
{until_reanchor} := {until_reanchor} - 1;

if variance < 1e-6 * ({s2} * inverse)
    or leaving_square > 1e6 * {s2}
    or {until_reanchor} <= 0 then
    -- Re-anchor on the window's mean and rebuild the sums from the window.
    {until_reanchor} := {{ 32 * n }};
    total := 0;
    for r in first_row .. row_index loop
        total := total + {window[r % {{ n }}]};
    end loop;
    {anchor} := total * inverse;
    {s1} := 0;
    {s2} := 0;
    for r in first_row .. row_index loop
        deviation := {window[r % {{ n }}]} - {anchor};
        {s1} := {s1} + deviation;
        {s2} := {s2} + deviation * deviation;
    end loop;
    mean_deviation := {s1} * inverse;
    variance := {s2} * inverse - mean_deviation * mean_deviation;
    if variance < 1e-12 * ({s2} * inverse) then
        variance := 0;
    end if;
    deviation := {window[first_row % {{ n }}]} - {anchor};
    {s1} := {s1} - deviation;
    {s2} := {s2} - deviation * deviation;
end if;
{last_variance} := variance;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}


{% macro dse_variance_fragment(name, parameter, expression, n, skip_nulls=false) %}
    {#- The recursive fragment `name`: the variance of the last n values of `expression`, the
        aggregate's input `parameter`. -#}
    {{ return({
        'name': name,
        'slots': ['seen', 'anchor', 's1', 's2', 'until_reanchor', 'last_variance', ('window', n)],
        'inputs': {parameter: expression},
        'declare': [
            'row_index integer;', 'first_row integer;', 'inverse float8 := 1.0::float8 / ' ~ n ~ ';',
            'deviation float8;', 'leaving_square float8;', 'mean_deviation float8;',
            'variance float8;', 'total float8;',
        ],
        'body': dse_variance_step(name, parameter, n, skip_nulls),
    }) }}
{% endmacro %}
