{% macro dse_recalc_requests(accepted) %}
    {#- (scrip, start_date) rows asked for by the vars recalc_since and recalc_scrips. -#}
    {%- set scrips = dse_recalc_scrips() -%}
    {%- if var('recalc_since') -%}
    select distinct
        scrip,
        {{ dse_date_literal(var('recalc_since'), 'recalc_since') }} as start_date
    from {{ accepted }}
    {%- if scrips %}
    where scrip = any({{ dse_text_array(scrips) }})
    {%- endif %}
    {%- else -%}
    select
        null::text as scrip,
        null::date as start_date
    where false
    {%- endif -%}
{% endmacro %}


{% macro dse_state_slices(states) %}
    {#- (name, length, offset) of each recursive state inside the `state` array. -#}
    {%- set slices = [] -%}
    {%- set offset = namespace(value=0) -%}
    {%- for name, length in states -%}
        {%- do slices.append((name, length, offset.value)) -%}
        {%- set offset.value = offset.value + length -%}
    {%- endfor -%}
    {{ return(slices) }}
{% endmacro %}


{% macro dse_state_interval() %}
    {#-
        Rows whose row_num is a multiple of this keep the recursive state (about 1.2 KB); the
        others store null. A daily run recomputes, without rewriting them, the rows between the
        last stored state and its change: 7.5 more rows per scrip on average. Keeping every
        row's state made a full refresh write twice as much (a 2.5 KB row instead of 1.3 KB).
    -#}
    {{- return(16) -}}
{% endmacro %}


{% macro dse_concat_states(states) %}
    {#- The `state` column: every family's state array, in the plan's order. -#}
    {%- set columns = [] -%}
    {#- A state is null on a row before its aggregate's first (a look-back row, never
        written): keep the seed, or the aggregates' zero start, so every slice stays in place. -#}
    {%- for name, length in states -%}
        {%- do columns.append('coalesce(st__' ~ name ~ ', seed__' ~ name ~ ', array_fill(0::float8, array['
            ~ length ~ ']))') -%}
    {%- endfor -%}
    {{- columns | join(' || ') if columns else 'null::float8 []' -}}
{% endmacro %}


{% macro dse_check_stored_layout(plan) %}
    {#-
        A daily run continues from the stored state, and the features array is read by position:
        both only make sense if the table was built with the same indicators. The layouts are
        written in the column comments; if they differ, stop and say how to rebuild.
    -#}
    {%- if execute -%}
        {%- set found = run_query(
            "select a.attname, col_description(a.attrelid, a.attnum) from pg_attribute as a "
            ~ "where a.attrelid = '" ~ this ~ "'::regclass and a.attname in ('state', 'features')"
            ~ " and not a.attisdropped") -%}
        {%- set stored = {} -%}
        {%- for row in found.rows -%}{%- do stored.update({row[0]: row[1]}) -%}{%- endfor -%}
        {%- for column, layout in plan.layouts.items() -%}
            {%- if stored.get(column) != layout -%}
                {{ exceptions.raise_compiler_error(
                    this ~ " was built with other indicators than the project now defines ("
                    ~ column ~ ": stored " ~ (stored.get(column) or 'no layout') ~ "; now "
                    ~ layout ~ "). Rebuild it once: dbt run --full-refresh --select indicators") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}


{% macro dse_comment_layouts() %}
    {#-
        Post-hook: the layouts of `state` and `features` in their column comments, which
        dse_check_stored_layout reads. Only when the table is built anew: a daily run has just
        checked them, and a comment would wait for any autovacuum of the table.
    -#}
    {%- if not is_incremental() -%}
        {%- set layouts = dse_indicator_plan(dse_indicator_families()).layouts -%}
        {%- for column, layout in layouts.items() %}
    comment on column {{ this }}.{{ column }} is '{{ layout }}';
        {%- endfor %}
    {%- endif -%}
{% endmacro %}
