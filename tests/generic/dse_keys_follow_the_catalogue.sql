{% test dse_keys_follow_the_catalogue(model) %}
    {#-
        Every key the plan computes is present exactly from its first row on (its warm-up) and
        no other key is in a document. A key the plan keeps always present (the old backfill
        job's) is in every document, JSON null before its first row. The plan's keys and first rows come from the families;
        a fast test (tests/python/test_catalogue.py) holds them to seeds/indicator_catalogue.csv
        through the rendered analysis indicator_keys, so this test needs no seed loaded.
        Fails with each offending (key, scrip, date).
    -#}
    {%- set plan = dse_indicator_plan(dse_indicator_families()) -%}
    with

    catalogue as (
        select
            key,
            first_row,
            always_present
        from (
            values
            {%- for key, first_row in plan.first_rows.items() %}
            ('{{ key }}', {{ first_row }}, {{ key in plan.always_present }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as keys (key, first_row, always_present)
    ),

    unlisted as (
        select distinct
            document.key,
            null::text as scrip,
            null::date as trading_date,
            'in a document but not computed by the plan' as problem
        from {{ dse_tested_rows(model) }} as t
        cross join lateral jsonb_object_keys(t.indicators) as document (key)
        where document.key not in (select catalogue.key from catalogue)
    ),

    warm_up as (
        select
            catalogue.key,
            t.scrip,
            t.trading_date,
            case
                when catalogue.always_present and not t.indicators ? catalogue.key
                    then 'absent, and it is always present'
                when catalogue.always_present then 'a value before its first_row'
                when t.indicators ? catalogue.key then 'present before its first_row'
                else 'absent after its first_row'
            end as problem
        from {{ dse_tested_rows(model) }} as t
        cross join catalogue
        where
            case
                when catalogue.always_present
                    then not t.indicators ? catalogue.key
                    or (
                        t.row_num < catalogue.first_row
                        and jsonb_typeof(t.indicators -> catalogue.key) <> 'null'
                    )
                else (t.indicators ? catalogue.key) <> (t.row_num >= catalogue.first_row)
            end
    )

    select * from unlisted
    union all
    select * from warm_up
{% endtest %}
