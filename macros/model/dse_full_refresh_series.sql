{% macro dse_full_refresh_series_ctes(plan) %}
    {#- A full refresh's series to compute, as CTEs ending in `series`: every accepted row. -#}
    {%- set price_columns = dse_price_columns() %}

{%- if dse_adjusting() %}
{{ dse_action_steps_ctes() }}
{%- endif %}

accepted as (

    select
        {{- dse_adjusted_columns('staged') }}
    from {{ ref('stg_dse__prices') }} as staged
    {{- dse_adjusted_join('staged') }}
    where staged.reject_reason is null

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
