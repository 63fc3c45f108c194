{% test dse_one_row_per_accepted_price(model, prices) %}
    {#- Every accepted price row has exactly one indicators row, and nothing else has one. -#}
    with

    accepted as (
        select scrip, trading_date from {{ prices }} where reject_reason is null
    ),

    computed as (
        select scrip, trading_date from {{ model }}
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
