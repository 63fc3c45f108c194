{% test dse_indicator_values_are_sane(model) %}
    {#-
        Fails with each row holding an unknown key, a value that is not a JSON number, or a
        value outside what its definition allows.
    -#}
    {%- set known = dse_indicator_plan(dse_indicator_families()).outputs.keys() | list -%}
    with

    entries as (
        select
            t.scrip,
            t.trading_date,
            e.key,
            e.value
        from {{ dse_tested_rows(model) }} as t
        cross join lateral jsonb_each(t.indicators) as e
    ),

    bad_entries as (
        select
            scrip,
            trading_date,
            key || ' is ' || case
                when key <> all({{ dse_text_array(known) }}) then 'not a known key'
                else 'not a number: ' || value::text
            end as problem
        from entries
        where key <> all({{ dse_text_array(known) }}) or jsonb_typeof(value) <> 'number'
    ),

    numbers as (
        select
            scrip,
            trading_date,
            (indicators ->> 'rsi_14')::float8 as rsi_14,
            (indicators ->> 'atr_14')::float8 as atr_14,
            (indicators ->> 'bb_lower_20')::float8 as bb_lower_20,
            (indicators ->> 'bb_middle_20')::float8 as bb_middle_20,
            (indicators ->> 'bb_upper_20')::float8 as bb_upper_20
        from {{ dse_tested_rows(model) }} as t
    ),

    bad_values as (
        select
            scrip,
            trading_date,
            case
                when rsi_14 not between 0 and 100 then 'rsi_14 outside [0, 100]'
                when atr_14 < 0 then 'atr_14 negative'
                when bb_lower_20 > bb_middle_20 or bb_middle_20 > bb_upper_20
                    then 'Bollinger bands out of order'
            end as problem
        from numbers
    )

    select * from bad_entries
    union all
    select * from bad_values where problem is not null
{% endtest %}
