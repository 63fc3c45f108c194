{% macro get_incremental_merge_with_deletes_sql(arg_dict) %}
    {#-
        The incremental strategy `merge_with_deletes`: dbt's merge on the unique key, plus one
        clause. A source row matching the model's `merge_delete_when` condition deletes its
        target row instead of updating it (and is not inserted when there is none). The
        indicators model sends such a row for each price row that vanished from the source,
        so deletions cost nothing more than the change detection that found them.
        It follows dbt's merge of dbt-adapters 1.24 (default__get_merge_sql, which dbt-postgres
        1.11 uses) for a unique key without incremental predicates, the model's case; other
        uses stop at compile time. A named strategy, so no adapter macro is redefined.
    -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set delete_when = config.get('merge_delete_when') -%}
    {%- if not delete_when or not unique_key or arg_dict['incremental_predicates'] -%}
        {{ exceptions.raise_compiler_error(
            "the incremental strategy merge_with_deletes needs a unique_key and a merge_delete_when"
            ~ " condition, and takes no incremental_predicates") }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='name') | map('replace', '"', '') | list -%}
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
