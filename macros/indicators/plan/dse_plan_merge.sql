{% macro dse_plan_merge(families, layout) %}
    {#-
        The validated families merged, in their order, into the plan (dse_indicator_plan). Of a
        family:
        - levels: a list of dicts column -> expression, merged level by level;
        - outputs: key -> expression, and first_rows: key -> its first row;
        - lookback: the earlier rows its windows read; windows: for a long family, its trailing
          sums, maxima and minima;
        - recursive: its fragment of the one recursive aggregate (dse_recursive_aggregate):
          name, slots, inputs, declare, body;
        - states: (name, slots) of each state it stores itself, as a level column st__<name>;
        - functions: DDL it needs, once however many families give it;
        - always_present: its keys are in every document, JSON null where undefined (the old
          backfill job's keys); types: key -> integer or boolean (a number otherwise).
        Slot names in bodies, outputs and levels become places (dse_resolve_slots).
    -#}
    {%- set levels, short_levels, long_levels = [], [], [] -%}
    {%- set keys, first_rows, types, always_present = {}, {}, {}, [] -%}
    {%- set states = [] -%}
    {%- set lookbacks, short_lookbacks = [1], [1] -%}
    {%- set long_windows = [] -%}
    {%- set fragments, functions = [], [] -%}
    {%- for family in families -%}
        {%- set slots = layout.slots[family.name] -%}
        {%- set lookback = family.get('lookback', 0) -%}
        {%- set is_long = lookback > 32 -%}
        {%- if is_long -%}
            {#- Two families may share a long window (SMA 50): one copy. -#}
            {%- for window in family.windows if window not in long_windows -%}
                {%- do long_windows.append(window) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for target in [levels, long_levels if is_long else short_levels] -%}
            {%- for level in family.get('levels', []) -%}
                {%- set depth = loop.index0 -%}
                {%- if target | length <= depth -%}{%- do target.append({}) -%}{%- endif -%}
                {%- for column, expression in level.items() -%}
                    {%- do target[depth].update({column: dse_resolve_slots(expression, slots, family.name)}) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for key, expression in family.get('outputs', {}).items() -%}
            {%- do keys.update({key: dse_resolve_slots(expression, slots, family.name)}) -%}
        {%- endfor -%}
        {%- do first_rows.update(family.get('first_rows', {})) -%}
        {%- do types.update(family.get('types', {})) -%}
        {%- if family.get('always_present') -%}
            {%- do always_present.extend(family.get('outputs', {}).keys()) -%}
        {%- endif -%}
        {%- for state, state_slots in family.get('states', []) -%}
            {%- do states.append((state, layout.lengths[state])) -%}
        {%- endfor -%}
        {%- if family.get('recursive') -%}
            {%- set fragment = family.recursive -%}
            {%- do fragments.append({
                'name': fragment.name,
                'inputs': fragment.inputs,
                'declare': fragment.get('declare', []),
                'body': dse_resolve_slots(fragment.body, slots, family.name, 'state'),
            }) -%}
        {%- endif -%}
        {%- for statement in family.get('functions', []) if statement not in functions -%}
            {%- do functions.append(statement) -%}
        {%- endfor -%}
        {%- do lookbacks.append(lookback) -%}
        {#- A rebuilt ring of n is read from the last n look-back rows. -#}
        {%- for slot in family.get('recursive', {}).get('slots', []) if slot is not string
            and slot[0] in family.recursive.get('rebuilt', {}) -%}
            {%- do lookbacks.append(slot[1]) -%}
        {%- endfor -%}
        {%- if not is_long -%}{%- do short_lookbacks.append(lookback) -%}{%- endif -%}
    {%- endfor -%}
    {%- set layout_items = [] -%}
    {%- if fragments -%}
        {%- set fused = dse_recursive_aggregate(fragments, layout.length, layout.stored_length) -%}
        {%- for chain in [levels, short_levels] -%}
            {%- do chain[-1].update({'st__' ~ fused.state[0]: fused.column}) -%}
        {%- endfor -%}
        {%- do states.insert(0, (fused.state[0], layout.stored_length)) -%}
        {%- do functions.extend(fused.functions) -%}
        {#- The shared state is described by its fragments. -#}
        {%- for fragment in fragments -%}
            {%- do layout_items.append(fragment.name ~ ':' ~ layout.lengths[fragment.name]) -%}
        {%- endfor -%}
        {%- for ring in layout.rebuilt -%}
            {%- do layout_items.append('rebuilt ' ~ ring.column ~ ':' ~ ring.ring) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- The states' columns (st__<state>, as dse_concat_states reads them; the larger part of a
        row) go to the last level: every window node a row passes after them would copy them
        too. Nothing before the outputs reads them. -#}
    {%- set state_columns = [] -%}
    {%- for name, length in states -%}{%- do state_columns.append('st__' ~ name) -%}{%- endfor -%}
    {%- for chain in [levels, short_levels] if chain | length > 1 -%}
        {%- for level in chain[:-1] -%}
            {%- for column in level.keys() | list if column in state_columns -%}
                {%- do chain[-1].update({column: level.pop(column)}) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for name, length in states[(1 if fragments else 0):] -%}
        {%- do layout_items.append(name ~ ':' ~ length) -%}
    {%- endfor -%}
    {{ return({
        'levels': levels,
        'outputs': keys,
        'first_rows': first_rows,
        'types': types,
        'always_present': always_present,
        'states': states,
        'rebuilt': layout.rebuilt,
        'lookback': lookbacks | max,
        'short_levels': short_levels,
        'short_lookback': short_lookbacks | max,
        'long_levels': long_levels,
        'long_windows': long_windows,
        'functions': functions,
        'layouts': {
            'state': 'layout ' ~ layout_items | join(','),
            'features': 'keys ' ~ keys.keys() | join(','),
        },
    }) }}
{% endmacro %}
