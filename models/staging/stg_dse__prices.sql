-- One row per source row, typed, with no-trade days turned into flat bars and the reason a row
-- is rejected (null when it is accepted). The rules and their order (contract section 2) are in
-- macros/staging/dse_stage_prices.sql, which daily runs of the indicators model share.
-- A second run of the view waits until the first has replaced it (dse_view_lock).
{{ config(
    pre_hook=[{"sql": "{{ dse_view_lock() }}", "transaction": false}],
    post_hook=[{"sql": "{{ dse_view_unlock() }}", "transaction": false}],
) }}
{{ dse_stage_prices(source('dse', 'daily_prices')) }}
