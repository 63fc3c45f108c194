{% macro dse_full_refresh_series_ctes(plan) %}
    {#- A full refresh's series to compute, as CTEs ending in `series`: every accepted row. -#}
    {%- set price_columns = dse_price_columns() %}

accepted as (

    select
        scrip,
        trading_date,
        {{ price_columns | join(', ') }}
    from {{ ref('stg_dse__prices') }}
    where reject_reason is null

),

-- row_num is numbered in the first level, in the window node of its lag()s.
series as (

    select
        {%- for name, length in plan.states %}
        null::float8[] as seed__{{ name }},
        {%- endfor %}
        accepted.*,
        false as is_replayed,
        true as is_new
    from accepted

),
{%- endmacro %}
