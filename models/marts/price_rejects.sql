-- Every source row the cleaning rules reject, with its reason and its raw values.
-- A second run of the model waits for the first (dse_model_lock).
{{ config(pre_hook=["{{ dse_model_lock() }}"]) }}

with

prices as (

    select * from {{ ref('stg_dse__prices') }}

),

final as (

    select
        scrip,
        trading_date,
        reject_reason as reason,
        raw_open,
        raw_high,
        raw_low,
        raw_close,
        volume as raw_volume
    from prices
    where reject_reason is not null

)

select * from final
