{% macro dse_recursive_aggregate(fragments) %}
    {#-
        One window aggregate steps every recursive indicator, one PL/pgSQL call per row: a call
        costs about 0.45 us before its first statement, 0.35 s per aggregate over the
        benchmark's 764,303 rows (ten aggregates took 18.1 s there, this one 14.0 s).
        A family gives a fragment: name, length (its state's), inputs (parameter -> SQL
        expression, all float8), declare (its locals, one declaration each) and body. The body
        reads and writes its own state as state[1] .. state[length] and may end its step early
        with `exit <name>;`. Here each body becomes a block of the one step function, its slots
        moved to its place in the shared state (fragments in the families' order).
        Returns the aggregate's column expression, its state (name, length), each fragment's
        offset and the DDL.
    -#}
    {%- set name = 'recursive' -%}
    {%- set inputs = {} -%}
    {%- set offsets = {} -%}
    {%- set total = namespace(value=0) -%}
    {%- for fragment in fragments -%}
        {%- for parameter, expression in fragment.inputs.items() -%}
            {%- if inputs.get(parameter, expression) != expression -%}
                {{ exceptions.raise_compiler_error(
                    "the recursive input " ~ parameter ~ " is both " ~ inputs[parameter]
                    ~ " and " ~ expression) }}
            {%- endif -%}
            {%- do inputs.update({parameter: expression}) -%}
        {%- endfor -%}
        {%- do offsets.update({fragment.name: total.value}) -%}
        {%- set total.value = total.value + fragment.length -%}
    {%- endfor -%}
    {%- set step -%}
create or replace function {{ dse_function('dse_' ~ name ~ '_v1_step') }}(
    state float8[], {% for parameter in inputs %}{{ parameter }} float8, {% endfor %}seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
begin
    if state is null then
        state := coalesce(seed, array_fill(0::float8, array[{{ total.value }}]));
    end if;
    {%- for fragment in fragments %}
    {%- set offset = offsets[fragment.name] %}
    <<{{ fragment.name }}>>
    {%- if fragment.declare %}
    declare
        {%- for declaration in fragment.declare %}
        {{ declaration }}
        {%- endfor %}
    {%- endif %}
    begin
        {{ (fragment.body if offset == 0 else fragment.body.replace('state[', 'state[' ~ offset ~ ' + '))
            | trim | indent(8) }}
    end {{ fragment.name }};
    {%- endfor %}
    return state;
end
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_' ~ name ~ '_v1') }}(
    {% for parameter in inputs %}float8, {% endfor %}float8[]
) (
    sfunc = {{ dse_function('dse_' ~ name ~ '_v1_step') }}, stype = float8[], parallel = safe
)
    {%- endset -%}
    {{ return({
        'column': dse_function('dse_' ~ name ~ '_v1') ~ '(' ~ inputs.values() | join(', ')
            ~ ', seed__' ~ name ~ ') filter (where is_new) ' ~ dse_running(),
        'state': (name, total.value),
        'offsets': offsets,
        'functions': [step, aggregate],
    }) }}
{% endmacro %}
