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
                    this ~ " was built with other indicators (or other prices: var adjust_prices)"
                    ~ " than the project now defines ("
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


{% macro dse_named_indexes() %}
    {#-
        The indexes of the indicators table, by name: the first three keep the names of the
        table the old backfill job wrote (CONTRACT.md, section 3), whose readers may name them;
        updated_at finds the rows of the last run, which the data tests read.
    -#}
    {{ return({
        'idx_indicators_jsonb_gin': 'using gin (indicators jsonb_path_ops)',
        'idx_indicators_scrip': '(scrip)',
        'idx_indicators_trading_date': '(trading_date)',
        'idx_indicators_updated_at': '(updated_at)',
    }) }}
{% endmacro %}


{% macro dse_create_named_indexes() %}
    {#-
        Post-hook: the indexes of dse_named_indexes, when the table is built anew (dbt's indexes
        config names indexes itself). A full refresh builds an intermediate table and swaps it
        in; the hook runs after the swap, while the replaced table, now the backup relation,
        still holds indexes of these names until dbt drops it after the commit. Those are
        dropped first, in the same transaction; an index of the same name on any other table
        is left alone, and the create then fails naming it.
    -#}
    {%- if execute and not is_incremental() -%}
        {%- set indexes = dse_named_indexes() -%}
        {%- set backup = make_backup_relation(this, 'table') -%}
        {%- set found = run_query(
            "select i.relname from pg_index as x"
            ~ " join pg_class as i on i.oid = x.indexrelid"
            ~ " join pg_class as t on t.oid = x.indrelid"
            ~ " join pg_namespace as n on n.oid = i.relnamespace"
            ~ " where n.nspname = '" ~ this.schema ~ "' and t.relname = '" ~ backup.identifier
            ~ "' and i.relname = any(array['" ~ indexes.keys() | join("', '") ~ "'])") -%}
        {%- for row in found.rows %}
    drop index {{ adapter.quote(this.schema) }}.{{ adapter.quote(row[0]) }};
        {%- endfor %}
        {%- for name, definition in indexes.items() %}
    create index {{ name }} on {{ this }} {{ definition }};
        {%- endfor %}
    {%- endif -%}
{% endmacro %}


{% macro dse_refuse_legacy_table() %}
    {#-
        The table the old backfill_indicators.py job wrote has this model's name but neither a
        `state` nor a `features` column. Found at compile time, so in both modes nothing is
        written: a daily run would merge into it, and a full refresh would swap it out and
        drop it with all its rows. `dse-indicators migrate` keeps it as indicators_legacy
        (dse_indicators/migrate.py, which recognises it by the same columns).
    -#}
    {%- if execute -%}
        {%- set found = run_query(
            "select to_regclass('" ~ this ~ "') is not null, count(a.attname) from pg_attribute"
            ~ " as a where a.attrelid = to_regclass('" ~ this ~ "')"
            ~ " and a.attname in ('state', 'features') and not a.attisdropped") -%}
        {%- set table_exists, new_columns = found.rows[0] -%}
        {%- if table_exists and new_columns == 0 -%}
            {{ exceptions.raise_compiler_error(
                this.schema ~ "." ~ this.identifier ~ " is the table of the old backfill job (no state or features column);"
                ~ " nothing was written. Keep its rows as " ~ this.identifier ~ "_legacy with"
                ~ " `dse-indicators migrate --schema " ~ this.schema ~ "`, then dbt run builds"
                ~ " the new table, and `dse-indicators compare --against "
                ~ this.identifier ~ "_legacy` compares the two.") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
