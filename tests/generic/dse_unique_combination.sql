{% test dse_unique_combination(model, columns, of_last_run=false) %}
    {#-
        Fails with each combination of `columns` that occurs more than once; with of_last_run,
        among the rows of the model's last run (dse_tested_rows).
    -#}
    {%- if columns is string or not columns -%}
        {{ exceptions.raise_compiler_error(
            "dse_unique_combination needs `columns`, a list of column names") }}
    {%- endif -%}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ dse_tested_rows(model) ~ ' as last_run' if of_last_run else model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
