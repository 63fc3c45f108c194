-- The indicators model's query for `dbt run --full-refresh`, as the model renders it
-- (`dbt compile --select indicators_full_refresh` writes it under target/compiled/).
{{ dse_indicators_sql(dse_indicator_plan(dse_indicator_families()), incremental=false, relation=ref('indicators')) }}
