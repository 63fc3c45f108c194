{% macro dse_model_lock() %}
    {#-
        Taken inside each model's transaction (pre-hook): a second `dbt run` building the same
        model waits here until the first commits, then sees its result. The lock is released by
        the commit or by the rollback of an interrupted run.
    -#}
    select pg_advisory_xact_lock(hashtext('dse_indicators:' || '{{ this }}'))
{% endmacro %}
