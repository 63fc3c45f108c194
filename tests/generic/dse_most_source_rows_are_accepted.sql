{% test dse_most_source_rows_are_accepted(model, min_share=0.5) %}
    {#-
        A wrong source mapping fails the build instead of leaving an empty table: of the source
        rows in the buckets of dates the last run compared (dse_tested_buckets; every bucket
        under full_tests), at least `min_share` must be accepted. Real tables reject a few rows
        in a thousand; a col_* var naming the wrong column (an all-null one, the volume for the
        close...) rejects most or all. Rows without scrip or date sit in no bucket and are not
        counted. Costs what the last run that changed something compared, not the history.
    -#}
    with

    tested_buckets as (
        {{ dse_tested_buckets(model) | indent(8) }}
    ),

    staged as (
        {{ dse_stage_prices(source('dse', 'daily_prices'), where=dse_in_tested_buckets()) | indent(8) }}
    ),

    counted as (
        select
            count(*) as source_rows,
            count(*) filter (where reject_reason is null) as accepted_rows,
            mode() within group (order by reject_reason) as usual_reason
        from staged
    )

    select
        source_rows,
        accepted_rows,
        'only ' || accepted_rows || ' of ' || source_rows || ' source rows were accepted (most '
        || 'often rejected as ' || coalesce(usual_reason, '?') || '): check the vars '
        || 'source_schema, source_table and col_scrip, col_date, col_open, col_high, col_low, '
        || 'col_close, col_volume (now {{ var("source_schema") }}.{{ var("source_table") }}: '
        || '{{ var("col_scrip") }}, {{ var("col_date") }}, {{ var("col_open") }}, '
        || '{{ var("col_high") }}, {{ var("col_low") }}, {{ var("col_close") }}, '
        || '{{ var("col_volume") }})' as problem
    from counted
    where source_rows > 0 and accepted_rows < {{ min_share }} * source_rows
{% endtest %}
