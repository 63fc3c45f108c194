{#-
    indicators: one row per accepted price row, its indicators in one JSONB document.

    The query is dse_indicators_sql (macros/model/), the same macro the analyses render for
    both modes (analyses/indicators_full_refresh.sql, analyses/indicators_daily_run.sql). Its
    CTEs, top down:

    series to compute
      full refresh  accepted -> series                       (macros/model/dse_full_refresh_series.sql)
      daily run     changed_buckets, requested -> scopes -> accepted, stored -> differences
                    -> changed -> starts -> anchors -> resumed -> lookback, replayed -> fresh
                    -> rows_to_use -> series; long_level_1.. -> long_windows
                                                             (macros/model/dse_daily_scope.sql)
    indicator levels
      level_1 .. level_n, one per window depth of the plan   (macros/indicators/)
      with_long_windows (daily run: the long windows joined back)
    the document
      computed (every key once) -> final (JSONB document, feature bytes, state)
      vanished (daily run: a row per vanished price row, which the merge deletes)

    Every hook of the model is here. The merge deletes the rows of vanished prices
    (incremental strategy merge_with_deletes, macros/run/dse_merge_with_deletes.sql); the
    recursive state is stored out of line (column_storage, macros/run/dse_create_table_as.sql).
    The indexes are created by name when the table is built (dse_create_named_indexes,
    macros/run/dse_incremental_helpers.sql): the old backfill table's three, and updated_at,
    which finds the rows of the last run that the data tests read.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='merge_with_deletes',
    unique_key=['scrip', 'trading_date'],
    on_schema_change='fail',
    merge_delete_when='dbt_internal_source.row_num is null',
    column_storage={'state': 'external', 'indicators': 'main', 'features': 'main'},
    pre_hook=[
        "{{ dse_model_lock() }}",
        "set local work_mem = '256MB'",
        "set local random_page_cost = 1.1",
        "{{ dse_snapshot_source_digests() }}",
    ],
    post_hook=[
        "{{ dse_comment_layouts() }}",
        "{{ dse_create_named_indexes() }}",
        "{{ dse_store_source_digests() }}",
    ],
) }}
{#- The hooks, in order: a second run of the model waits for the first (dse_model_lock); one
    sort of every price row by (scrip, date) feeds all the windows, so it gets the memory to
    stay in memory; rows are read by index in short ranges per scrip (anchor, look-back,
    changed dates), and priced as on an SSD the planner walks the primary key for them instead
    of reading each scrip whole; the source's digests per scrip and bucket, which tell a daily
    run what changed. After the query: the layouts of `state` and `features` in their column
    comments and the named indexes (both when the table is built), and the digests the run
    saw. -#}

{%- set plan = dse_indicator_plan(dse_indicator_families()) %}
{%- do dse_refuse_legacy_table() %}
{%- if is_incremental() %}{% do dse_check_stored_layout(plan) %}{% endif %}

{{ dse_indicators_sql(plan, incremental=is_incremental(), relation=this) }}
