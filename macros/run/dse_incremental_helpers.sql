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
