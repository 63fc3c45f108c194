{% test dse_features_match_indicators(model) %}
    {#-
        The features bytes hold the JSONB document's numbers in the plan's key order, NaN where
        a key is absent or null, 1 and 0 for true and false, bit for bit. Fails with each
        (scrip, date, key) that differs.
    -#}
    {%- set keys = dse_indicator_plan(dse_indicator_families()).outputs.keys() | list -%}
    select
        t.scrip,
        t.trading_date,
        k.key,
        t.indicators -> k.key as in_indicators,
        substr(t.features, 8 * k.position::integer - 7, 8) as in_features
    from {{ dse_tested_rows(model) }} as t
    cross join unnest({{ dse_text_array(keys) }}) with ordinality as k (key, position)
    where
        length(t.features) is distinct from {{ 8 * keys | length }}
        or substr(t.features, 8 * k.position::integer - 7, 8)
        <> float8send(coalesce(case jsonb_typeof(t.indicators -> k.key)
            when 'boolean' then (t.indicators ->> k.key)::boolean::integer::float8
            else (t.indicators ->> k.key)::float8
        end, 'NaN'))
{% endtest %}
