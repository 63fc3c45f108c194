-- The indicators model's query for a daily `dbt run`, as the model renders it once the table
-- exists (`dbt compile --select indicators_daily_run` writes it under target/compiled/). It reads
-- the temporary tables the model's pre-hooks create (dse_changed_buckets, dse_source_digests).
{{ dse_indicators_sql(dse_indicator_plan(dse_indicator_families()), incremental=true, relation=ref('indicators')) }}
