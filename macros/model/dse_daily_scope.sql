{% macro dse_daily_scope_ctes(plan, relation) %}
    {#-
        A daily run's series to compute, as CTEs ending in `series` (and, when the plan has long
        windows, `long_windows`): the scrips whose source rows changed, from their earliest
        change on, continuing from the last stored state before it. `relation` is the model's
        table. The map of these CTEs is in models/marts/indicators.sql.
    -#}
    {%- set price_columns = dse_price_columns() %}

-- The (scrip, bucket) digests of the source that differ from the stored ones (pre-hook): only
-- there can a price row be new, corrected or gone (macros/run/dse_source_digests.sql). Rows
-- without a scrip or a date are rejected: their bucket belongs to no series.
changed_buckets as (

    select
        scrip,
        {{ dse_bucket_start('min(bucket)') }} as since
    from dse_changed_buckets
    where bucket <> {{ dse_keyless_bucket() }}
    group by scrip

),

requested as (

    {{ dse_recalc_requests('dse_source_digests') }}

),

{%- if dse_adjusting() %}

-- A new, changed or removed corporate action changes the scrip's rows before its ex_date, and
-- a changed price before a rights issue its P: those scrips are compared from their first row.
action_scopes as (

    select
        scrip,
        '-infinity'::date as since
    from dse_changed_action_scrips
    union all
    select
        changed.scrip,
        '-infinity'::date as since
    from dse_changed_buckets as changed
    where exists (
        select from {{ dse_actions_relation() }} as actions
        where
            actions.scrip::text = changed.scrip
            and actions.kind = 'rights'
            and actions.ex_date > {{ dse_bucket_start('changed.bucket') }}
    )

),

{{ dse_action_steps_ctes() }}
{%- endif %}

-- Per scrip, the dates a run reads from the source: from its first changed bucket on.
scopes as (

    select
        scrip,
        min(since) as since
    from (
        select * from changed_buckets
        union all
        select * from requested
        {%- if dse_adjusting() %}
        union all
        select * from action_scopes
        {%- endif %}
    ) as wanted
    group by scrip

),

accepted as (

    select
        {{- dse_adjusted_columns('staged') }}
    from (
        {#- With no scope, no scan (a one-time filter). Then the date test: most rows are older
            than every change and fail it cheaply. #}
        {%- set source_date = adapter.quote(var('col_date')) ~ '::date' %}
        {{ dse_stage_prices(source('dse', 'daily_prices'), where=
            'exists (select from scopes) and '
            ~ source_date ~ ' >= (select min(since) from scopes) and exists (select from scopes '
            ~ 'where scopes.scrip = ' ~ adapter.quote(var('col_scrip')) ~ '::text and '
            ~ 'scopes.since <= ' ~ source_date ~ ')') | indent(8) }}
    ) as staged
    {{- dse_adjusted_join('staged') }}
    where staged.reject_reason is null

),

stored as (

    select
        {%- for column in price_columns %}
        stored_row.price_{{ column }} as {{ column }},
        {%- endfor %}
        scopes.scrip,
        stored_row.trading_date
    from scopes
    cross join lateral (
        select *
        from {{ relation }}
        where {{ relation }}.scrip = scopes.scrip and {{ relation }}.trading_date >= scopes.since
        -- A fence: kept as a lateral subquery, each scope is one range of the primary key.
        offset 0  -- noqa: AM09
    ) as stored_row

),

-- Every (scrip, date) whose accepted prices differ from the stored ones: new, corrected or
-- vanished (deleted at the source, or newly rejected).
differences as (

    select
        coalesce(accepted.scrip, stored.scrip) as scrip,
        coalesce(accepted.trading_date, stored.trading_date) as trading_date,
        accepted.scrip is null as vanished
    from accepted
    full join stored
        on accepted.scrip = stored.scrip and accepted.trading_date = stored.trading_date
    where
        accepted.scrip is null
        or stored.scrip is null
        or (accepted.{{ price_columns | join(', accepted.') }})
        is distinct from (stored.{{ price_columns | join(', stored.') }})

),

-- Where each scrip's series changed: the earliest date that differs.
changed as (

    select
        scrip,
        min(trading_date) as start_date
    from differences
    group by scrip

),

starts as (

    select
        scrip,
        min(start_date) as start_date
    from (
        select * from changed
        union all
        select * from requested
    ) as affected
    group by scrip

),

-- The run continues the recursive state from the last stored row before the change that has
-- one (its anchor): only every {{ dse_state_interval() }}th row keeps its state. Without an
-- anchor the scrip starts from its first row.
anchors as (

    select
        {%- for name, length, offset in dse_state_slices(plan.states) %}
        previous.state[{{ offset + 1 }}:{{ offset + length }}] as seed__{{ name }},
        {%- endfor %}
        starts.scrip,
        starts.start_date,
        coalesce(previous.trading_date, '-infinity') as anchor_date,
        coalesce(previous.row_num, 0) as anchor_row_num
    from starts
    left join lateral (
        select
            stored_row.trading_date,
            stored_row.row_num,
            stored_row.state
        from {{ relation }} as stored_row
        where
            stored_row.scrip = starts.scrip
            and stored_row.trading_date < starts.start_date
            and stored_row.state is not null
        order by stored_row.trading_date desc
        limit 1
    ) as previous on true

),

-- The anchors of scrips with rows to compute: a change that only deleted a scrip's newest
-- rows leaves nothing to compute.
resumed as (

    select *
    from anchors
    where exists (
        select from accepted
        where accepted.scrip = anchors.scrip and accepted.trading_date >= anchors.start_date
    )

),

-- Windows look back over the rows up to the anchor, read from the stored inputs: with the
-- planner's random_page_cost of the pre-hook, a walk back along the primary key per scrip.
-- Newest first, as read, each row also gets its tails: the sum, maximum or minimum of it and
-- every later look-back row, for the long windows (see long_windows).
lookback as (

    select
        resumed.scrip,
        earlier.*,
        false as is_new,
        false as is_replayed
    from resumed
    cross join lateral (  -- noqa: ST05
        select
            {%- for function, column, rows, name in plan.long_windows %}
            {{ function }}({{ column }}) over newest_first as tail__{{ name }},
            {%- endfor %}
            recent.*
        -- The window must see the rows in this order, after the limit: hence the subquery.
        from (
            select
                {%- for column in price_columns %}
                stored_row.price_{{ column }} as {{ column }},
                {%- endfor %}
                stored_row.trading_date,
                stored_row.row_num
            from {{ relation }} as stored_row
            where stored_row.scrip = resumed.scrip and stored_row.trading_date <= resumed.anchor_date
            order by stored_row.trading_date desc
            limit {{ plan.lookback }}
        ) as recent
        window newest_first as (
            order by recent.trading_date desc rows between unbounded preceding and current row
        )
    ) as earlier

),

{%- if plan.rebuilt %}
{%- set ring = plan.rebuilt[0].ring %}

-- The rings a daily run rebuilds instead of storing them (dse_state_layout): element i of a
-- ring of n holds the row whose 0-based number is i modulo n, among the n rows up to the
-- anchor; 0 where that row would come before the scrip's first (then the rows are fewer than
-- n and the ring's order is theirs).
rebuilt_rings as (

    select
        {%- for rebuilt in plan.rebuilt %}
        array_agg({{ rebuilt.column }} order by (earlier.row_num - 1) % {{ ring }})
        || array_fill(0::float8, array[{{ ring }} - count(*)::integer]) as ring_{{ loop.index }},
        {%- endfor %}
        resumed.scrip
    from resumed
    inner join lookback as earlier
        on
            resumed.scrip = earlier.scrip
            and earlier.row_num > resumed.anchor_row_num - {{ ring }}
    group by resumed.scrip

),
{%- endif %}

-- The stored rows after the anchor and before the change: unchanged, computed again only to
-- carry the recursive state to the change. They are not written.
replayed as (

    select
        {%- for column in price_columns %}
        stored_row.price_{{ column }} as {{ column }},
        {%- endfor %}
        resumed.scrip,
        stored_row.trading_date
    from resumed
    cross join lateral (
        select *
        from {{ relation }}
        where
            {{ relation }}.scrip = resumed.scrip
            and {{ relation }}.trading_date > resumed.anchor_date
            and {{ relation }}.trading_date < resumed.start_date
        -- A fence, as in stored: one range of the primary key per scrip.
        offset 0  -- noqa: AM09
    ) as stored_row

),

-- Every row the recursive aggregates run over: the replayed rows, then the new ones.
fresh as (

    select
        recomputed.*,
        anchors.anchor_row_num
        + row_number() over (partition by recomputed.scrip order by recomputed.trading_date)
            as row_num,
        true as is_new
    from (
        select
            accepted.scrip,
            accepted.trading_date,
            accepted.{{ price_columns | join(', accepted.') }},
            false as is_replayed
        from accepted
        inner join resumed
            on accepted.scrip = resumed.scrip and accepted.trading_date >= resumed.start_date
        union all
        select
            scrip,
            trading_date,
            {{ price_columns | join(', ') }},
            true as is_replayed
        from replayed
    ) as recomputed
    inner join anchors on recomputed.scrip = anchors.scrip

),

rows_to_use as (

    select
        scrip,
        trading_date,
        {{ price_columns | join(', ') }},
        is_replayed,
        row_num,
        is_new
    from lookback
    union all
    select * from fresh

),

-- The windows of all but the long families run over the last rows of the look-back only. Only
-- the first new row carries the seeds: the aggregates read them once, and 1.2 KB of seeds on
-- every row would be copied through every window.
series as (

    select
        {%- for name, length in plan.states %}
        {%- if plan.rebuilt and name == dse_recursive_state() %}
        case
            when
                rows_to_use.row_num = anchors.anchor_row_num + 1
                and anchors.seed__{{ name }} is not null
                then anchors.seed__{{ name }}
                {%- for rebuilt in plan.rebuilt %} || rebuilt_rings.ring_{{ loop.index }}{% endfor %}
        end as seed__{{ name }},
        {%- else %}
        case
            when rows_to_use.row_num = anchors.anchor_row_num + 1 then anchors.seed__{{ name }}
        end as seed__{{ name }},
        {%- endif %}
        {%- endfor %}
        rows_to_use.*
    from rows_to_use
    inner join anchors on rows_to_use.scrip = anchors.scrip
    {%- if plan.rebuilt %}
    left join rebuilt_rings on rows_to_use.scrip = rebuilt_rings.scrip
    {%- endif %}
    where rows_to_use.row_num > anchors.anchor_row_num - {{ plan.short_lookback }}

),
{%- if plan.long_levels %}

-- The long windows (SMA 50 and 200, the 252-row extremes) in two parts. First the new rows alone:
{{- dse_level_ctes('long_level', plan.long_levels, 'fresh') }}

-- Then what the look-back rows add: a new row's window reaches back to row_num - rows + 1,
-- whose tail it takes if that row is stored (a look-up by the primary key's order, one per
-- window length, instead of a window over all the look-back rows). Before a scrip's row
-- `rows` the window holds every row since the first (AD_line has values there): it takes
-- the first row's tail. A row whose window starts among the new rows takes none.
{%- set lengths = plan.long_windows | map(attribute=2) | unique | list %}
long_windows as (

    select
        {%- for function, column, rows, name in plan.long_windows %}
        {%- set tail = 'tail_' ~ rows ~ '.tail__' ~ name %}
        {%- if function == 'sum' %}
        new_rows.{{ name }} + coalesce({{ tail }}, 0) as {{ name }},
        {%- else %}
        {{ 'greatest' if function == 'max' else 'least' }}(new_rows.{{ name }}, {{ tail }}) as {{ name }},
        {%- endif %}
        {%- endfor %}
        new_rows.scrip,
        new_rows.trading_date
    from long_level_{{ plan.long_levels | length }} as new_rows
    {%- for rows in lengths %}
    left join lookback as tail_{{ rows }}
        on
            new_rows.scrip = tail_{{ rows }}.scrip
            and tail_{{ rows }}.row_num = greatest(new_rows.row_num - {{ rows - 1 }}, 1)
    {%- endfor %}
    where new_rows.is_new

),
{%- endif %}
{%- endmacro %}
