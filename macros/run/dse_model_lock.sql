{% macro dse_model_lock() %}
    {#-
        Taken inside each model's transaction (pre-hook): a second `dbt run` building the same
        model waits here until the first commits, then sees its result. The lock is released by
        the commit or by the rollback of an interrupted run.
    -#}
    select pg_advisory_xact_lock(hashtext('dse_indicators:' || '{{ this }}'))
{% endmacro %}


{% macro dse_view_lock() %}
    {#-
        A view's pre-hook, outside its transaction: dbt's view materialization renames the old
        view to a backup inside the transaction but drops that backup only after the commit,
        so a lock released by the commit lets a second run rename onto a backup that still
        exists. This session-level lock is held until dse_view_unlock, the view's last post-hook
        (after the drop); if the run fails in between, closing the connection releases it.
    -#}
    select pg_advisory_lock(hashtext('dse_indicators:' || '{{ this }}'))
{% endmacro %}


{% macro dse_view_unlock() %}
    {#- A view's post-hook, outside its transaction: releases dse_view_lock. -#}
    select pg_advisory_unlock(hashtext('dse_indicators:' || '{{ this }}'))
{% endmacro %}
