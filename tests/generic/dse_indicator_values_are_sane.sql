{% test dse_indicator_values_are_sane(model) %}
    {#-
        Fails with each row holding an unknown key, a value of another JSON type than its
        key's (a number; an integer or a boolean where the plan types the key; JSON null only
        for a key that is always present), or a value outside what its definition allows.
    -#}
    {%- set plan = dse_indicator_plan(dse_indicator_families()) -%}
    with

    expected as (
        select
            key,
            kind,
            case when kind = 'boolean' then 'boolean' else 'number' end as json_type,
            may_be_null
        from (
            values
            {%- for key in plan.outputs %}
            (
                '{{ key }}',
                '{{ plan.types.get(key, 'number') }}',
                {{ key in plan.always_present }}
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as keys (key, kind, may_be_null)
    ),

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
            entries.scrip,
            entries.trading_date,
            entries.key || ' is ' || case
                when expected.key is null then 'not a known key'
                else 'not a' || case when expected.kind = 'integer' then 'n ' else ' ' end
                    || expected.kind || ': ' || entries.value::text
            end as problem
        from entries
        left join expected on entries.key = expected.key
        where
            expected.key is null
            or not (
                jsonb_typeof(entries.value) = expected.json_type
                or (expected.may_be_null and jsonb_typeof(entries.value) = 'null')
            )
            or (expected.kind = 'integer' and entries.value::text !~ '^-?[0-9]+$')
    ),

    numbers as (
        select
            scrip,
            trading_date,
            (indicators ->> 'rsi_14')::float8 as rsi_14,
            (indicators ->> 'atr_14')::float8 as atr_14,
            (indicators ->> 'bb_lower_20')::float8 as bb_lower_20,
            (indicators ->> 'bb_middle_20')::float8 as bb_middle_20,
            (indicators ->> 'bb_upper_20')::float8 as bb_upper_20,
            (indicators ->> 'RSI_14')::float8 as old_rsi_14,
            (indicators ->> 'MFI_14')::float8 as old_mfi_14,
            (indicators ->> 'ATR_14')::float8 as old_atr_14
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
                when old_rsi_14 not between 0 and 100 then 'RSI_14 outside [0, 100]'
                when old_mfi_14 not between 0 and 100 then 'MFI_14 outside [0, 100]'
                when old_atr_14 < 0 then 'ATR_14 negative'
            end as problem
        from numbers
    )

    select * from bad_entries
    union all
    select * from bad_values where problem is not null
{% endtest %}
