{#-
    Every source row the cleaning rules reject, with its reason and its raw values.

    Incremental on the indicators model's change detection: a daily run compares the digests
    that model stored (per scrip and bucket of dates, macros/run/dse_source_digests.sql) with
    its own copy of them, and cleans only the source rows of the buckets that differ; their
    old rejects are deleted first (pre-hook). So it runs after indicators, and costs what
    changed. A full refresh cleans the whole source (and takes every bucket as cleaned).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ dse_model_lock() }}",
        "{{ dse_rejects_changed_buckets() }}",
    ],
    post_hook=["{{ dse_rejects_store_digests() }}"],
) }}
-- depends_on: {{ ref('indicators') }}

with

prices as (

    {%- if is_incremental() %}
    {{ dse_stage_prices(source('dse', 'daily_prices'), where=dse_rejects_in_changed_buckets()) | indent(4) }}
    {%- else %}

    select * from {{ ref('stg_dse__prices') }}
    {%- endif %}

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
