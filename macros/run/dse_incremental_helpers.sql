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


{% macro dse_concat_states(states) %}
    {#- The `state` column: every family's state array, in the plan's order. -#}
    {%- set columns = [] -%}
    {#- A state is null on rows its aggregate skipped (the volatility's first row): keep the
        seed, or the aggregates' zero start, so every slice stays in place. -#}
    {%- for name, length in states -%}
        {%- do columns.append('coalesce(st__' ~ name ~ ', seed__' ~ name ~ ', array_fill(0::float8, array['
            ~ length ~ ']))') -%}
    {%- endfor -%}
    {{- columns | join(' || ') if columns else 'null::float8 []' -}}
{% endmacro %}


{% macro dse_check_state_layout(layout) %}
    {#-
        A daily run continues from the stored state, which only makes sense if the table was
        built with the same indicator families. If not, stop and say how to rebuild.
    -#}
    {%- if execute -%}
        {%- set found = run_query(
            "select col_description('" ~ this ~ "'::regclass, a.attnum) from pg_attribute a "
            ~ "where a.attrelid = '" ~ this ~ "'::regclass and a.attname = 'state'") -%}
        {%- set stored = found.columns[0].values()[0] if found.rows | length else none -%}
        {%- if stored != 'layout ' ~ layout -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built with other indicators than the project now defines (stored "
                ~ (stored or 'no layout') ~ "; now layout " ~ layout ~ "). "
                ~ "Rebuild it once: dbt run --full-refresh --select indicators") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro dse_delete_vanished_rows() %}
    {#- Price rows deleted (or newly rejected) at the source lose their indicators row. -#}
    {%- if is_incremental() -%}
    delete from {{ this }} as t
    where not exists (
        select
        from {{ ref('stg_dse__prices') }} as p
        where
            p.reject_reason is null
            and p.scrip = t.scrip
            and p.trading_date = t.trading_date
    )
    {%- else -%}
    select 1
    {%- endif -%}
{% endmacro %}
