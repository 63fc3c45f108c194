{% macro postgres__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) %}
    {#-
        The merge strategy, plus one clause for models that set `merge_delete_when`: a source
        row matching that condition deletes its target row instead of updating it. The
        indicators model sends such a row for each price row that vanished from the source, so
        deletions cost nothing more than the change detection that found them. Any other
        model gets dbt's own merge.
    -#}
    {%- set delete_when = config.get('merge_delete_when') -%}
    {%- if not delete_when or not unique_key or incremental_predicates -%}
        {{ return(default__get_merge_sql(target, source, unique_key, dest_columns, incremental_predicates)) }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = dest_columns | map(attribute='name') | map('replace', '"', '') | list -%}
    merge into {{ target }} as dbt_internal_dest
    using {{ source }} as dbt_internal_source
        on
        {%- for key in keys %}
        {{ 'and ' if not loop.first }}dbt_internal_source.{{ adapter.quote(key) }} = dbt_internal_dest.{{ adapter.quote(key) }}
        {%- endfor %}
    when matched and ({{ delete_when }}) then delete
    when matched then update set
        {%- for column in columns if column not in keys %}
        {{ adapter.quote(column) }} = dbt_internal_source.{{ adapter.quote(column) }}{{ ',' if not loop.last }}
        {%- endfor %}
    when not matched and not ({{ delete_when }}) then insert
        ({% for column in columns %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %})
    values
        ({% for column in columns %}dbt_internal_source.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %})
{% endmacro %}
