{% macro postgres__create_table_as(temporary, relation, sql) %}
    {#-
        dbt's table creation, plus one step for models that set `column_storage` (column: plain,
        main, external or extended): the storage is set between the CREATE and the INSERT, so
        the first rows are already written with it (PostgreSQL 15 cannot say it in CREATE TABLE).
        The indicators model keeps its recursive state out of line and uncompressed: rows stay
        under the TOAST threshold without compressing every row on write, and the reads that do
        not need the state (change detection, export) scan a fifth fewer pages.
        Any other model, and any temporary table, gets dbt's own statement.
        An override, not a named macro: the incremental materialization creates a model's table
        through `create_table_as` (dispatched), and no config reaches the moment between the
        CREATE and the INSERT. It follows postgres__create_table_as of dbt-postgres 1.11 for a
        table with an enforced contract (create, then insert the select); check it when
        dbt-postgres is upgraded.
    -#}
    {%- set storage = config.get('column_storage') -%}
    {%- if not storage or temporary or not config.get('contract').enforced -%}
        {{ return(dbt.postgres__create_table_as(temporary, relation, sql)) }}
    {%- endif -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create {{ 'unlogged ' if config.get('unlogged', default=false) }}table {{ relation }}
    {{ get_assert_columns_equivalent(sql) }}
    {{ get_table_columns_and_constraints() }};
    alter table {{ relation }}
    {%- for column, kind in storage.items() %}
        alter column {{ adapter.quote(column) }} set storage {{ kind }}{{ ',' if not loop.last }}
    {%- endfor %};
    insert into {{ relation }} ({{ adapter.dispatch('get_column_names', 'dbt')() }})
    ({{ get_select_subquery(sql) }});
{% endmacro %}
