{% macro dse_create_functions() %}
    {#-
        Creates the PL/pgSQL functions and the recursive window aggregate that the indicator
        plan needs, in the target schema, on every run (on-run-start). One DO block is one
        transaction: the advisory lock keeps two concurrent runs from replacing the same
        function at once ("tuple concurrently updated"). Names carry a version (_v1) because
        CREATE OR REPLACE AGGREGATE cannot change a state type: a new state type gets a new
        name.
    -#}
    {%- set schema = target.schema -%}
    do $dse_do$
    begin
        perform pg_advisory_xact_lock(hashtext('dse_indicators:functions:{{ schema }}'));
        if not exists (select from pg_namespace where nspname = '{{ schema }}') then
            execute 'create schema {{ adapter.quote(schema) }}';
        end if;
    {%- for statement in dse_indicator_plan(dse_indicator_families()).functions + [dse_product_function()] %}
        execute $dse_ddl${{ statement }}$dse_ddl$;
    {%- endfor %}
    end
    $dse_do$
{% endmacro %}


{% macro dse_function(name) %}
    {#- Schema-qualified name of one of the project's functions or aggregates. -#}
    {{- adapter.quote(target.schema) ~ '.' ~ name -}}
{% endmacro %}
