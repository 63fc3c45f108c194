{% test dse_one_row_per_accepted_price(model) %}
    {#-
        Every accepted price row has exactly one indicators row, and nothing else has one: over
        the buckets of dates the last run compared (dse_tested_buckets), cleaned by the same
        rules as the model (dse_stage_prices), or over the whole source under full_tests.
    -#}
    with

    tested_buckets as (
        {{ dse_tested_buckets(model) | indent(8) }}
    ),

    accepted as (
        select
            scrip,
            trading_date
        from (
            {{ dse_stage_prices(source('dse', 'daily_prices'), where=dse_in_tested_buckets()) | indent(12) }}
        ) as staged
        where reject_reason is null
    ),

    computed as (
        select
            stored.scrip,
            stored.trading_date
        from tested_buckets
        cross join lateral (
            select
                t.scrip,
                t.trading_date
            from {{ model }} as t
            where
                t.scrip = tested_buckets.scrip
                and t.trading_date >= {{ dse_bucket_start('tested_buckets.bucket') }}
                and t.trading_date < {{ dse_bucket_start('(tested_buckets.bucket + 1)') }}
        ) as stored
    )

    select
        coalesce(accepted.scrip, computed.scrip) as scrip,
        coalesce(accepted.trading_date, computed.trading_date) as trading_date,
        case when computed.scrip is null then 'no indicators row' else 'no accepted price' end
        as problem
    from accepted
    full join computed
        on accepted.scrip = computed.scrip and accepted.trading_date = computed.trading_date
    where accepted.scrip is null or computed.scrip is null
{% endtest %}
