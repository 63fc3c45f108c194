{% macro dse_indicators_sql(plan, incremental, relation) %}
    {#-
        The indicators model's query, top down: the series to compute (a full refresh's, or a
        daily run's scope), the indicator levels of the plan, the document. `relation` is the
        model's table (a daily run reads its stored rows). The model and the analyses call it.
    -#}
    {%- set price_columns = dse_price_columns() %}
with
{% if incremental %}
{{ dse_daily_scope_ctes(plan, relation) }}
{% else %}
{{ dse_full_refresh_series_ctes(plan) }}
{% endif %}

{%- set levels = plan.short_levels if incremental else plan.levels %}
{%- if not incremental %}
{%- set row_number = 'row_number() over (partition by scrip order by trading_date)' %}
{%- set levels = [dict(levels[0], row_num=row_number)] + levels[1:] %}
{%- endif %}
{{- dse_level_ctes('level', levels, 'series') }}
{% set last_level = 'level_' ~ levels | length %}
{%- if incremental and plan.long_levels %}

with_long_windows as (

    select
        {%- for function, column, rows, name in plan.long_windows %}
        long_windows.{{ name }},
        {%- endfor %}
        {{ last_level }}.*
    from {{ last_level }}
    inner join long_windows
        on
            {{ last_level }}.scrip = long_windows.scrip
            and {{ last_level }}.trading_date = long_windows.trading_date

),
{%- set last_level = 'with_long_windows' %}
{%- endif %}

computed as (

    select
        scrip,
        trading_date,
        {%- for key, expression in plan.outputs.items() %}
        {{ expression }} as {{ dse_key_column(key) }},
        {%- endfor %}
        {%- for column in price_columns %}
        {{ column }} as price_{{ column }},
        {%- endfor %}
        row_num,
        case
            when row_num % {{ dse_state_interval() }} = 0
                then {{ dse_concat_states(plan.states, [dse_recursive_state()] if plan.rebuilt else []) }}
        end as state
    from {{ last_level }}
    where is_new and not is_replayed
    -- A fence: final reads every key twice (document and features) and would otherwise
    -- compute each key's expression again for each read.
    offset 0  -- noqa: AM09

),

final as (

    select
        scrip,
        trading_date,
        {{ dse_jsonb_object(plan) }} as indicators,
        {{ dse_feature_bytes(plan) }} as features,
        {%- for column in price_columns %}
        price_{{ column }},
        {%- endfor %}
        row_num::integer as row_num,
        state,
        -- The old backfill table's columns (CONTRACT.md, section 3): a row here is always
        -- computed; updated_at is the start of the run that last wrote the row.
        'CALCULATED'::varchar(20) as status,
        null::text as notes,
        now() as updated_at
    from computed

){% if incremental %},

-- One row per vanished price row, all null but its key: the merge deletes its stored row.
vanished as (

    select
        scrip,
        trading_date,
        null::jsonb as indicators,
        null::bytea as features,
        {%- for column in price_columns %}
        null::{{ dse_price_type(column) }} as price_{{ column }},
        {%- endfor %}
        null::integer as row_num,
        null::float8[] as state,
        null::varchar(20) as status,
        null::text as notes,
        null::timestamptz as updated_at
    from differences
    where vanished

)
{%- endif %}

select * from final
{%- if incremental %}
union all
select * from vanished
{%- endif %}
{%- endmacro %}


{% macro dse_price_columns() %}
    {#- The accepted prices each indicators row keeps (as price_<column>), and the factor of
        the corporate actions they are adjusted by (1 unless adjust_prices). -#}
    {{ return(['open', 'high', 'low', 'close', 'volume', 'factor']) }}
{% endmacro %}


{% macro dse_price_type(column) %}
    {#- A price column's type: volume is a whole number of shares, unless adjusted. -#}
    {{- 'bigint' if column == 'volume' and not dse_adjusting() else 'float8' -}}
{% endmacro %}
