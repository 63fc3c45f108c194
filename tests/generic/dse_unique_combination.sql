{% test dse_unique_combination(model, columns) %}
    {#- Fails with each combination of `columns` that occurs more than once. -#}
    {%- if columns is string or not columns -%}
        {{ exceptions.raise_compiler_error(
            "dse_unique_combination needs `columns`, a list of column names") }}
    {%- endif -%}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
