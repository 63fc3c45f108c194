{% macro dse_stage_prices(relation, where=none) %}
    {#-
        The cleaning rules of contract section 2 as one query: one row per row of `relation`,
        typed, with no-trade days turned into flat bars and the reason a row is rejected (null
        when it is accepted). The staging view applies it to the whole source; a daily run of
        the indicators model applies it to the few source rows that changed (`where`), so both
        clean rows the same way. A `where` must keep or drop all rows of a (scrip, date).
    -#}
with

source as (

    select * from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}

),

renamed as (

    select
        {{ adapter.quote(var('col_scrip')) }}::text as scrip,
        {{ adapter.quote(var('col_date')) }}::date as trading_date,
        {{ adapter.quote(var('col_open')) }}::numeric as raw_open,
        {{ adapter.quote(var('col_high')) }}::numeric as raw_high,
        {{ adapter.quote(var('col_low')) }}::numeric as raw_low,
        {{ adapter.quote(var('col_close')) }}::numeric as raw_close,
        {{ adapter.quote(var('col_volume')) }}::bigint as volume
    from source

),

flat_bars as (

    -- Rule 1: a no-trade day (no volume, a close, no open/high/low) is open = high = low = close.
    select
        *,
        coalesce(
            volume = 0 and raw_close > 0
            and coalesce(raw_open, 0) = 0
            and coalesce(raw_high, 0) = 0
            and coalesce(raw_low, 0) = 0, false
        ) as is_no_trade
    from renamed

),

typed as (

    select
        *,
        (case when is_no_trade then raw_close else raw_open end)::float8 as open,
        (case when is_no_trade then raw_close else raw_high end)::float8 as high,
        (case when is_no_trade then raw_close else raw_low end)::float8 as low,
        raw_close::float8 as close
    from flat_bars
    -- A planner fence: each row's prices are computed once. Without it the planner copies
    -- these expressions into every later use (sort keys, checks), some 40 times per row.
    -- It skips no row, so the order does not matter.
    offset 0  -- noqa: AM09

),

checked as (

    -- Rule 2: the first failing check names the reason.
    select
        *,
        case
            when scrip is null or trading_date is null then 'missing_key'
            when open is null or high is null or low is null or close is null then 'missing_price'
            when
                'NaN' in (open, high, low, close)
                or 'Infinity' in (open, high, low, close)
                or '-Infinity' in (open, high, low, close) then 'non_finite_price'
            when open <= 0 or high <= 0 or low <= 0 or close <= 0 then 'non_positive_price'
            when high < low then 'high_below_low'
            when volume is null then 'missing_volume'
            when volume < 0 then 'negative_volume'
            when trading_date > {{ dse_run_date() }} + 1 then 'future_date'
        end as row_reject_reason
    from typed
    -- The same fence: the reason is computed once per row.
    offset 0  -- noqa: AM09

),

ranked as (

    -- Rule 3: among valid rows of one (scrip, date), the largest volume wins, then the largest close.
    select
        *,
        -- Grouped in byte order ("C"): this sorts every source row, and a locale's rules only
        -- slow that down; they never change which scrips are equal. The view's scrip keeps the
        -- database's collation, which the marts' indexes need.
        row_number() over (
            partition by scrip collate "C", trading_date, row_reject_reason is null
            order by volume desc, close desc
        ) as duplicate_rank
    from checked

),

final as (

    select
        scrip,
        trading_date,
        open,
        high,
        low,
        close,
        volume,
        is_no_trade,
        raw_open,
        raw_high,
        raw_low,
        raw_close,
        coalesce(
            row_reject_reason,
            case when duplicate_rank > 1 then 'duplicate' end
        ) as reject_reason
    from ranked

)

select * from final
{% endmacro %}
