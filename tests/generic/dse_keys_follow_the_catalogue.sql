{% test dse_keys_follow_the_catalogue(model, catalogue) %}
    {#-
        Every key of the catalogue is computed, no other, and each is present exactly from its
        first_row on (its warm-up). Fails with each offending (key, scrip, date) or key.
    -#}
    {%- set computed = dse_indicator_plan(dse_indicator_families()).outputs.keys() | list -%}
    with

    catalogue as (
        select
            key,
            first_row
        from {{ catalogue }}
    ),

    unlisted as (
        select
            computed.key,
            null::text as scrip,
            null::date as trading_date,
            'computed but not in the catalogue' as problem
        from unnest({{ dse_text_array(computed) }}) as computed (key)
        where computed.key not in (select catalogue.key from catalogue)
        union all
        select
            catalogue.key,
            null,
            null,
            'in the catalogue but not computed'
        from catalogue
        where catalogue.key <> all({{ dse_text_array(computed) }})
    ),

    warm_up as (
        select
            catalogue.key,
            t.scrip,
            t.trading_date,
            case
                when t.indicators ? catalogue.key then 'present before its first_row'
                else 'absent after its first_row'
            end as problem
        from {{ dse_tested_rows(model) }} as t
        cross join catalogue
        where (t.indicators ? catalogue.key) <> (t.row_num >= catalogue.first_row)
    )

    select * from unlisted
    union all
    select * from warm_up
{% endtest %}
