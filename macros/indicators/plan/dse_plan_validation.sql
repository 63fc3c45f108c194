{#-
    Validation: the families must not step on each other. Everything the plan merges lives in
    one namespace per kind (output keys, level columns, state names, recursive inputs), and a
    later definition would silently replace an earlier one, so a clash stops the compile and
    names both families.
-#}

{% macro dse_plan_validate(families) %}
    {%- set owners = {'family': {}, 'key': {}, 'column': {}, 'state': {}, 'input': {}} -%}
    {%- for family in families -%}
        {%- if family.get('name') is not string or not family.get('name') -%}
            {{ exceptions.raise_compiler_error(
                "every indicator family needs a name; family " ~ loop.index ~ " of the list has"
                ~ " none (its keys: " ~ family.get('outputs', {}).keys() | join(', ') ~ ")") }}
        {%- endif -%}
        {%- set name = family.name -%}
        {%- if name in owners.family -%}
            {{ exceptions.raise_compiler_error(
                "two indicator families are named " ~ name ~ " (families " ~ owners.family[name][0]
                ~ " and " ~ loop.index ~ " of the list): give one of them another name") }}
        {%- endif -%}
        {%- do owners.family.update({name: (loop.index, none)}) -%}
        {%- for key in family.get('outputs', {}) -%}
            {%- do dse_plan_claim(owners.key, 'the output key', key, name) -%}
        {%- endfor -%}
        {%- do dse_plan_check_levels(family, owners.column) -%}
        {%- do dse_plan_check_state(family, owners) -%}
        {%- do dse_plan_check_lookback(family) -%}
        {%- do dse_plan_check_first_rows(family) -%}
        {%- do dse_plan_check_types(family) -%}
    {%- endfor -%}
    {%- do dse_plan_check_rebuilt(families) -%}
{% endmacro %}


{% macro dse_plan_check_types(family) %}
    {#- A family types only its own keys, as integer or boolean (a number otherwise). -#}
    {%- for key, type in family.get('types', {}).items() -%}
        {%- if key not in family.get('outputs', {}) or type not in ('integer', 'boolean') -%}
            {{ exceptions.raise_compiler_error(
                "the family " ~ family.name ~ " types " ~ key ~ " as " ~ type ~ ": a type is integer"
                ~ " or boolean, for one of the family's own output keys") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{% macro dse_plan_check_rebuilt(families) %}
    {#- A rebuilt slot is a ring of the fragment, and all rebuilt rings have one length: a
        daily run rebuilds them together from the same look-back rows. -#}
    {%- set lengths = {} -%}
    {%- for family in families if family.get('recursive', {}).get('rebuilt') -%}
        {%- set rings = {} -%}
        {%- for slot in family.recursive.slots if slot is not string -%}
            {%- do rings.update({slot[0]: slot[1]}) -%}
        {%- endfor -%}
        {%- for name in family.recursive.rebuilt -%}
            {%- if name not in rings -%}
                {{ exceptions.raise_compiler_error(
                    "the family " ~ family.name ~ " rebuilds " ~ name ~ ", which is not one of its"
                    ~ " rings") }}
            {%- endif -%}
            {%- do lengths.update({rings[name]: family.name ~ '.' ~ name}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if lengths | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "rebuilt rings must have one length; they have " ~ lengths.keys() | join(', ')
            ~ " (" ~ lengths.values() | join(', ') ~ ")") }}
    {%- endif -%}
{% endmacro %}


{% macro dse_plan_claim(owners, what, item, family, definition=none) %}
    {#- Records that `family` defines `item` (as `definition`); a second family may only
        repeat the same definition, where one is given. -#}
    {%- if item in owners and (definition is none or owners[item][1] != definition) -%}
        {{ exceptions.raise_compiler_error(
            what ~ " " ~ item ~ " is defined by both the family " ~ owners[item][0] ~ " and the"
            ~ " family " ~ family ~ (" (" ~ owners[item][1] ~ " against " ~ definition ~ ")"
            if definition is not none else "") ~ ": rename one of them") }}
    {%- endif -%}
    {%- do owners.update({item: (family, definition)}) -%}
{% endmacro %}


{% macro dse_plan_check_levels(family, owners) %}
    {#-
        A level column may be defined again by another family only as the very same
        expression at the same level: the merged level keeps one copy, which both read. Any
        other repeat would replace the first family's column under its feet.
        No first-level column may read row_num: a full refresh numbers the rows in that level.
    -#}
    {%- for level in family.get('levels', []) -%}
        {%- set depth = loop.index -%}
        {%- for column, expression in level.items() -%}
            {%- do dse_plan_claim(owners, 'the level column', column, family.name,
                'level ' ~ depth ~ ': ' ~ expression) -%}
            {%- if depth == 1 and 'row_num' in expression -%}
                {{ exceptions.raise_compiler_error(
                    "the first-level column " ~ column ~ " of " ~ family.name ~ " reads row_num,"
                    ~ " which a full refresh only numbers in that level: test the previous row"
                    ~ " with lag() instead") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{% endmacro %}


{% macro dse_plan_check_state(family, owners) %}
    {#-
        State names become columns (st__<name>, seed__<name>) and PL/pgSQL block labels, and
        the fragments' inputs become the aggregate's parameters: each must mean one thing. A
        family addresses its state by slot name only (dse_plan_state_layout.sql): a written
        position would not move with the fragment.
    -#}
    {%- set fragment = family.get('recursive') -%}
    {%- set names = ([fragment.name] if fragment else []) + family.get('states', []) | map('first') | list -%}
    {%- if dse_recursive_state() in names -%}
        {{ exceptions.raise_compiler_error(
            "the family " ~ family.name ~ " names a state " ~ dse_recursive_state() ~ ", the name of"
            ~ " the plan's shared recursive state: choose another") }}
    {%- endif -%}
    {%- if fragment -%}
        {%- if 'slots' not in fragment or 'length' in fragment -%}
            {{ exceptions.raise_compiler_error(
                "the recursive fragment of " ~ family.name ~ " must declare its slots by name"
                ~ " ('slots'), not a length") }}
        {%- endif -%}
        {%- if 'state[' in fragment.body -%}
            {{ exceptions.raise_compiler_error(
                "the step of " ~ family.name ~ " writes state[...]: name the slot instead, {slot}") }}
        {%- endif -%}
        {%- do dse_plan_claim(owners.state, 'the state', fragment.name, family.name) -%}
        {%- for parameter, expression in fragment.inputs.items() -%}
            {%- do dse_plan_claim(owners.input, 'the recursive input', parameter, family.name, expression) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for state, slots in family.get('states', []) -%}
        {%- do dse_plan_claim(owners.state, 'the state', state, family.name) -%}
    {%- endfor -%}
    {%- set expressions = family.get('outputs', {}).values() | list -%}
    {%- for level in family.get('levels', []) -%}{%- do expressions.extend(level.values()) -%}{%- endfor -%}
    {%- for expression in expressions if 'st__' in expression or 'seed__' in expression -%}
        {{ exceptions.raise_compiler_error(
            "an expression of " ~ family.name ~ " reads a state column by position (" ~ expression
            ~ "): name the slot instead, {slot} or {seed.slot}") }}
    {%- endfor -%}
{% endmacro %}


{% macro dse_plan_check_lookback(family) %}
    {#- A daily run computes a family that looks back over 32 rows from its `windows`, as sums,
        maxima and minima of trailing rows: it cannot carry state. -#}
    {%- if family.get('lookback', 0) > 32
        and (family.get('states') or family.get('recursive') or not family.get('windows')) -%}
        {{ exceptions.raise_compiler_error(
            "the family " ~ family.name ~ " looks back over 32 rows, so it must be trailing"
            ~ " windows without state") }}
    {%- endif -%}
{% endmacro %}


{% macro dse_plan_check_first_rows(family) %}
    {#- Each output key states its warm-up: the first row (1-based) of a scrip's accepted
        series on which it is present. -#}
    {%- set first_rows = family.get('first_rows', {}) -%}
    {%- for key in family.get('outputs', {}) -%}
        {%- if not (first_rows.get(key) is integer and first_rows.get(key) >= 1) -%}
            {{ exceptions.raise_compiler_error(
                "the family " ~ family.name ~ " gives no first row (a whole number from 1) for its"
                ~ " key " ~ key ~ ": add it to the family's first_rows") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for key in first_rows if key not in family.get('outputs', {}) -%}
        {{ exceptions.raise_compiler_error(
            "the family " ~ family.name ~ " gives a first row for " ~ key ~ ", which is not one"
            ~ " of its output keys") }}
    {%- endfor -%}
{% endmacro %}
