-- One row per source row, typed, with no-trade days turned into flat bars and the reason a row
-- is rejected (null when it is accepted). The rules and their order (contract section 2) are in
-- macros/staging/dse_stage_prices.sql, which daily runs of the indicators model share.
-- A second run of the view waits for the first (dse_model_lock).
{{ config(pre_hook=["{{ dse_model_lock() }}"]) }}
{{ dse_stage_prices(source('dse', 'daily_prices')) }}
