{#- SQL generation: the text the model and the functions are made of, from a merged plan. -#}

{% macro dse_recursive_aggregate(fragments, length, stored_length=none) %}
    {#-
        One window aggregate steps every recursive indicator, one PL/pgSQL call per row: each
        call costs a fixed overhead before its first statement, and each aggregate's state is
        copied out per row, so one aggregate for all of them beats one per family
        (docs/benchmarks.md).
        `fragments` come from the families (name, inputs: parameter -> SQL expression, all
        float8, declare: its locals, one declaration each, and body), in the families' order,
        their bodies already pointed at their places in the shared state of `length` slots
        (dse_state_layout). A body may end its step early with `exit <name>;`: each becomes a
        block of the one step function, labelled with its name. When the state ends in rebuilt
        rings (stored_length < length), a final function gives each row the stored part only:
        the rings would otherwise be copied out with every row.
        Returns the aggregate's column expression, its state (name, length) and the DDL.
    -#}
    {%- set name = dse_recursive_state() -%}
    {%- set inputs = {} -%}
    {%- for fragment in fragments -%}
        {%- do inputs.update(fragment.inputs) -%}
    {%- endfor -%}
    {%- set step -%}
create or replace function {{ dse_function('dse_' ~ name ~ '_v1_step') }}(
    state float8[], {% for parameter in inputs %}{{ parameter }} float8, {% endfor %}seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
begin
    if state is null then
        state := coalesce(seed, array_fill(0::float8, array[{{ length }}]));
    end if;
    {%- for fragment in fragments %}
    <<{{ fragment.name }}>>
    {%- if fragment.declare %}
    declare
        {%- for declaration in fragment.declare %}
        {{ declaration }}
        {%- endfor %}
    {%- endif %}
    begin
        {{ fragment.body | trim | indent(8) }}
    end {{ fragment.name }};
    {%- endfor %}
    return state;
end
$fn$
    {%- endset -%}
    {%- set trimmed = stored_length is not none and stored_length < length -%}
    {%- set final -%}
create or replace function {{ dse_function('dse_' ~ name ~ '_v1_stored') }}(
    state float8[]
) returns float8[] language sql immutable parallel safe as $fn$
    select state[1:{{ stored_length }}]
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_' ~ name ~ '_v1') }}(
    {% for parameter in inputs %}float8, {% endfor %}float8[]
) (
    sfunc = {{ dse_function('dse_' ~ name ~ '_v1_step') }}, stype = float8[],
    {%- if trimmed %}
    finalfunc = {{ dse_function('dse_' ~ name ~ '_v1_stored') }},
    {%- endif %}
    parallel = safe
)
    {%- endset -%}
    {{ return({
        'column': dse_function('dse_' ~ name ~ '_v1') ~ '(' ~ inputs.values() | join(', ')
            ~ ', seed__' ~ name ~ ') filter (where is_new) ' ~ dse_running(),
        'state': (name, length),
        'functions': [step] + ([final] if trimmed else []) + [aggregate],
    }) }}
{% endmacro %}


{% macro dse_level_ctes(prefix, levels, first_relation) %}
    {#-
        One CTE per query level, each ending in a comma: `prefix`_1 reads first_relation and
        each later level the one before it, so a level's columns may use those of the levels
        before (a window over a window needs its own level).
    -#}
    {%- for level in levels %}

{{ prefix }}_{{ loop.index }} as (

    select
        {%- for column, expression in level.items() %}
        {{ expression }} as {{ column }},
        {%- endfor %}
        *
    from {{ first_relation if loop.first else prefix ~ '_' ~ loop.index0 }}

),
    {%- endfor %}
{%- endmacro %}


{% macro dse_trailing(rows) %}
    {#- The window of the current row and the rows - 1 before it, in one scrip's date order. -#}
    over (partition by scrip order by trading_date rows between {{ rows - 1 }} preceding and current row)
{%- endmacro %}


{% macro dse_running() %}
    {#-
        The window from the first row a run computes to the current row: recursive aggregates
        filter on is_new and start from the last stored state before it (their seed).
    -#}
    over (partition by scrip order by trading_date rows between unbounded preceding and current row)
{%- endmacro %}


{% macro dse_key_column(key) %}
    {#- A key's column in the model's query: quoted where it has capitals (the old job's
        SMA_5 beside sma_5), so PostgreSQL does not fold it onto another key's. -#}
    {{- adapter.quote(key) if key != key | lower else key -}}
{% endmacro %}


{% macro dse_json_value(plan, key) %}
    {#- A key's value as JSON text: a number, integer or boolean; JSON null for an undefined
        key that is always present (none otherwise, and concat_ws leaves the key out). -#}
    {%- set column = dse_key_column(key) -%}
    {%- if key in plan.always_present -%}
        {{- return("coalesce(" ~ column ~ "::text, 'null')") -}}
    {%- endif -%}
    {{- return(column ~ '::text' if plan.types.get(key) == 'boolean' else column) -}}
{% endmacro %}


{% macro dse_jsonb_object(plan) %}
    {#-
        The document as JSON text, parsed once: about half the time of jsonb_build_object
        (docs/benchmarks.md). concat_ws skips nulls, so an undefined indicator is an absent
        key, unless the plan keeps it always present (JSON null). Each number is printed by
        its output function and read by numeric_in, as jsonb_build_object does: the documents
        are equal. Values are finite (float8 overflow raises), so no NaN or Infinity reaches
        the JSON text.
        A function takes at most 100 arguments: the pairs go in chunks of 90.
    -#}
    {%- set chunks = [] -%}
    {%- for chunk in plan.outputs.keys() | list | batch(90) -%}
        {%- set pairs = [] -%}
        {%- for name in chunk -%}
            {%- do pairs.append("'\"" ~ name ~ "\":' || " ~ dse_json_value(plan, name)) -%}
        {%- endfor -%}
        {%- do chunks.append("nullif(concat_ws(',', " ~ pairs | join(', ') ~ "), '')") -%}
    {%- endfor -%}
    ('{' || concat_ws(',', {{ chunks | join(', ') }}) || '}')::jsonb
{%- endmacro %}


{% macro dse_feature_bytes(plan) %}
    {#-
        The same values packed as bytes: each a big-endian float8 (float8send) in the plan's key
        order, NaN where a key is undefined, 1 and 0 for true and false. An export reads a
        scrip's rows as one byte string, with nothing to parse (numpy: frombuffer(b, '>f8')).
        Adding 0 turns -0 into 0, as the JSONB number does.
    -#}
    {%- for name in plan.outputs %}
        {%- set column = dse_key_column(name) %}
        {%- set number = column ~ '::integer::float8' if plan.types.get(name) == 'boolean' else column ~ '::float8' %}
        {{ '|| ' if not loop.first }}float8send(coalesce({{ number }} + 0, 'NaN'))
    {%- endfor %}
{%- endmacro %}
