-- The PL/pgSQL functions and the window aggregate the indicator plan needs, as on-run-start
-- creates them in the target schema (macros/functions/dse_create_functions.sql).
{% for statement in dse_indicator_plan(dse_indicator_families()).functions %}
{{ statement }};
{% endfor %}
