-- The keys the indicator plan computes, in the order of the `features` bytes, with the first
-- row of a scrip's series that has each (its warm-up). tests/python/test_catalogue.py holds this
-- list to seeds/indicator_catalogue.csv.
{%- set plan = dse_indicator_plan(dse_indicator_families()) %}
select
    key,
    first_row
from (
    values
    {%- for key in plan.outputs %}
    ('{{ key }}', {{ plan.first_rows[key] }}){{ ',' if not loop.last }}
    {%- endfor %}
) as keys (key, first_row)
