{% macro dse_create_functions() %}
    {#-
        Creates the PL/pgSQL state functions and window aggregates that the indicator families
        need, in the target schema, on every run (on-run-start). One DO block is one transaction:
        the advisory lock keeps two concurrent runs from replacing the same function at once
        ("tuple concurrently updated"). Names carry a version (_v1) because CREATE OR REPLACE
        AGGREGATE cannot change a state type: a new state layout gets a new name.
    -#}
    {%- set schema = target.schema -%}
    do $dse_do$
    begin
        perform pg_advisory_xact_lock(hashtext('dse_indicators:functions:{{ schema }}'));
        if not exists (select from pg_namespace where nspname = '{{ schema }}') then
            execute 'create schema {{ adapter.quote(schema) }}';
        end if;
    {%- set statements = [] -%}
    {%- for family in dse_indicator_families() -%}
        {%- for statement in family.get('functions', []) if statement not in statements -%}
            {%- do statements.append(statement) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for statement in statements %}
        execute $dse_ddl${{ statement }}$dse_ddl$;
    {%- endfor %}
    end
    $dse_do$
{% endmacro %}


{% macro dse_function(name) %}
    {#- Schema-qualified name of one of the project's functions or aggregates. -#}
    {{- adapter.quote(target.schema) ~ '.' ~ name -}}
{% endmacro %}
