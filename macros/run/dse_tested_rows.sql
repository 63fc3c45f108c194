{% macro dse_full_tests() %}
    {#- var full_tests: the data tests read every row instead of the last run's. -#}
    {{ return(var('full_tests', false) in [true, 'true', 'True', 1]) }}
{% endmacro %}


{% macro dse_tested_rows(model) %}
    {#-
        What the indicators model's data tests read: the rows its last run wrote, which share
        that run's updated_at (one transaction); the index on updated_at finds them. A daily
        build so proves what it wrote, at the cost of what it wrote; a full refresh writes every
        row in one run, so its build tests them all, and so does --vars '{full_tests: true}'.
        A relation or a subquery: give it an alias.
        The last run's updated_at is read first and written in as a literal: most rows share
        the full refresh's value, so against a subquery's unknown value the planner expects
        most of the table and scans it; against the literal it walks the index.
    -#}
    {%- if dse_full_tests() -%}
        {{ return(model) }}
    {%- endif -%}
    {%- set last_run = none -%}
    {#- Not before the table exists (dbt compile on a fresh database): no row then. -#}
    {%- if execute and adapter.get_relation(model.database, model.schema, model.identifier) -%}
        {%- set last_run = run_query('select max(updated_at)::text from ' ~ model).columns[0].values()[0] -%}
    {%- endif -%}
    {{ return('(select * from ' ~ model ~ ' where updated_at = '
        ~ ("'" ~ last_run ~ "'::timestamptz" if last_run else 'null') ~ ')') }}
{% endmacro %}


{% macro dse_tested_buckets(model) %}
    {#-
        The (scrip, bucket) buckets of dates whose source rows the model's last run compared
        (its stored digests' checked_at), or every bucket under full_tests: where a test of the
        last run looks for a missing or a left-over row.
    -#}
    {%- set digests = model.incorporate(path={'identifier': model.identifier ~ '__source_digests'}) -%}
    select scrip, bucket
    from {{ digests }}
    where
        bucket <> {{ dse_keyless_bucket() }}
        {%- if not dse_full_tests() %}
        and checked_at = (select max(checked_at) from {{ digests }})
        {%- endif %}
{%- endmacro %}


{% macro dse_in_tested_buckets() %}
    {#- The `where` keeping the source rows of a test's CTE tested_buckets (dse_tested_buckets). -#}
    {%- set scrip = adapter.quote(var('col_scrip')) ~ '::text' -%}
    {%- set trading_date = adapter.quote(var('col_date')) ~ '::date' -%}
    {{ return('(' ~ scrip ~ ', ' ~ dse_date_bucket(trading_date) ~ ') in (select scrip, bucket from tested_buckets)') }}
{%- endmacro %}
