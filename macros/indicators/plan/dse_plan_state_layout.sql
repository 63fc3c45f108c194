{#-
    The state layout: where each named slot of a family's state lives, and the `state` column
    that stores them all. A recursive fragment declares its slots in order (`slots`: a name
    for one number, a (name, n) pair for a ring of n numbers); its step body and its family's
    outputs name them in braces:
        {seen}                  one slot
        {window[row_index % n]} an element of a ring, counted from 0
        {seed.seen}             the same slot in the row's seed (the state a daily run starts from)
    In a step body a slot is a place in `state`, the array the step updates; in an output or a
    level it is a place in the row's stored state column (st__<state>). The plan turns each
    name into its place, so a family never counts positions and a fragment can move.
-#}

{% macro dse_recursive_state() %}
    {#- The name of the shared state of the recursive fragments: its column, its aggregate's. -#}
    {{- return('recursive') -}}
{% endmacro %}


{% macro dse_slot_positions(owner, slots) %}
    {#-
        {'places': name -> {'index': its first place (1-based) in the owner's own state,
        'ring': n for a ring of n, none for one slot}, 'length': the state's length}. `owner`
        names the family in an error.
    -#}
    {%- set positions = {} -%}
    {%- set next = namespace(index=1) -%}
    {%- for slot in slots -%}
        {%- set name, ring = (slot, none) if slot is string else slot -%}
        {%- if name in positions -%}
            {{ exceptions.raise_compiler_error(
                "the family " ~ owner ~ " declares the slot " ~ name ~ " twice") }}
        {%- endif -%}
        {%- if ring is not none and not (ring is integer and ring > 0) -%}
            {{ exceptions.raise_compiler_error(
                "the family " ~ owner ~ ": the ring " ~ name ~ " needs a whole length above 0") }}
        {%- endif -%}
        {%- do positions.update({name: {'index': next.index, 'ring': ring}}) -%}
        {%- set next.index = next.index + (ring or 1) -%}
    {%- endfor -%}
    {{ return({'places': positions, 'length': next.index - 1}) }}
{% endmacro %}


{% macro dse_state_layout(families) %}
    {#-
        Every family's slots placed: the recursive fragments one after the other in the shared
        state (dse_recursive_state, in the families' order), each stored state in a column of its own.
        A fragment's `rebuilt` rings come last in the shared state, after every fragment's
        other slots: they are not stored (the `state` column keeps the first stored_length
        places) but rebuilt by a daily run from its look-back rows (dse_daily_scope_ctes).
        Returns {'length': the shared state's length, 'stored_length': its stored part,
        'lengths': fragment -> its stored length, 'rebuilt': [{'index', 'ring', 'column'}],
        'slots': family -> slot -> {'state': the state column's name, 'index': its place
        (1-based), 'ring': n for a ring of n, else none}}.
    -#}
    {%- set layout = {'length': 0, 'lengths': {}, 'slots': {}, 'rebuilt': []} -%}
    {%- set total = namespace(value=0) -%}
    {%- set deferred = [] -%}
    {%- for family in families -%}
        {%- set own = {} -%}
        {%- if family.get('recursive') -%}
            {%- set fragment = family.recursive -%}
            {%- set rebuilt = fragment.get('rebuilt', {}) -%}
            {#- Checks the names and rings of all its slots, the rebuilt ones too. -#}
            {%- do dse_slot_positions(family.name, fragment.slots) -%}
            {%- set kept = [] -%}
            {%- for slot in fragment.slots -%}
                {%- if (slot if slot is string else slot[0]) in rebuilt -%}
                    {%- do deferred.append((family.name, slot[0], slot[1], rebuilt[slot[0]])) -%}
                {%- else -%}
                    {%- do kept.append(slot) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set positions = dse_slot_positions(family.name, kept) -%}
            {%- for slot, position in positions.places.items() -%}
                {%- do own.update({slot: {'state': dse_recursive_state(),
                    'index': total.value + position.index, 'ring': position.ring}}) -%}
            {%- endfor -%}
            {%- do layout.lengths.update({fragment.name: positions.length}) -%}
            {%- set total.value = total.value + positions.length -%}
        {%- endif -%}
        {%- for state, slots in family.get('states', []) -%}
            {%- set positions = dse_slot_positions(family.name, slots) -%}
            {%- for slot, position in positions.places.items() -%}
                {%- if slot in own -%}
                    {{ exceptions.raise_compiler_error(
                        "the family " ~ family.name ~ " declares the slot " ~ slot ~ " twice") }}
                {%- endif -%}
                {%- do own.update({slot: {'state': state, 'index': position.index, 'ring': position.ring}}) -%}
            {%- endfor -%}
            {%- do layout.lengths.update({state: positions.length}) -%}
        {%- endfor -%}
        {%- do layout.slots.update({family.name: own}) -%}
    {%- endfor -%}
    {%- do layout.update({'stored_length': total.value}) -%}
    {%- for family_name, slot, ring, column in deferred -%}
        {%- do layout.slots[family_name].update({slot: {'state': dse_recursive_state(),
            'index': total.value + 1, 'ring': ring}}) -%}
        {%- do layout.rebuilt.append({'index': total.value + 1, 'ring': ring, 'column': column}) -%}
        {%- set total.value = total.value + ring -%}
    {%- endfor -%}
    {%- do layout.update({'length': total.value}) -%}
    {{ return(layout) }}
{% endmacro %}


{% macro dse_resolve_slots(text, slots, owner, array=none) %}
    {#-
        `text` with every {slot}, {ring[i]} and {seed.slot} replaced by its place. `slots` are
        the family's (dse_state_layout); `array` is the array a step body updates (`state`), or
        none for an output or a level, which read the row's st__<state> or seed__<state>. An
        unknown name, a ring without an element or a slot with one is an error naming the
        family `owner`. The ring form is resolved after the others, so an element may be
        chosen by a slot: {ring[{seen}::integer % n]}.
    -#}
    {%- set re = modules.re -%}
    {%- set resolved = namespace(text=text) -%}
    {%- for pattern in ['\\{(seed\\.)?([A-Za-z_][A-Za-z0-9_]*)()\\}',
                        '\\{(seed\\.)?([A-Za-z_][A-Za-z0-9_]*)\\[(.*?)\\]\\}'] -%}
        {%- set is_ring = loop.last -%}
        {%- for seed, name, element in re.findall(pattern, resolved.text) | unique -%}
            {%- if name not in slots -%}
                {{ exceptions.raise_compiler_error(
                    "the family " ~ owner ~ " reads the slot " ~ name ~ ", which its state does not"
                    ~ " declare (it declares " ~ (slots.keys() | list | join(', ') or 'none') ~ ")") }}
            {%- endif -%}
            {%- set slot = slots[name] -%}
            {%- if (slot.ring is none) == is_ring -%}
                {{ exceptions.raise_compiler_error(
                    "the family " ~ owner ~ " reads " ~ name ~ (" as a ring: it is one slot" if is_ring
                    else " as one slot: it is a ring, read an element as {" ~ name ~ "[i]}")) }}
            {%- endif -%}
            {%- if array and seed -%}
                {{ exceptions.raise_compiler_error(
                    "the family " ~ owner ~ " reads {seed." ~ name ~ "} in its step: a step reads"
                    ~ " its state, which starts from the seed") }}
            {%- endif -%}
            {%- set target = array or (('seed__' if seed else 'st__') ~ slot.state) -%}
            {%- if not is_ring -%}
                {%- set place = slot.index -%}
            {%- elif re.match('^[0-9]+$', element | trim) -%}
                {%- if element | trim | int >= slot.ring -%}
                    {{ exceptions.raise_compiler_error(
                        "the family " ~ owner ~ " reads element " ~ element ~ " of the ring " ~ name
                        ~ ", which holds " ~ slot.ring) }}
                {%- endif -%}
                {%- set place = slot.index + element | trim | int -%}
            {%- else -%}
                {%- set place = slot.index ~ ' + ' ~ element -%}
            {%- endif -%}
            {%- set written = '{' ~ seed ~ name ~ ('[' ~ element ~ ']' if is_ring else '') ~ '}' -%}
            {%- set resolved.text = resolved.text.replace(written, target ~ '[' ~ place ~ ']') -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set left = re.search('\\{[A-Za-z_.]+[^}]*\\}', resolved.text) -%}
    {%- if left -%}
        {{ exceptions.raise_compiler_error(
            "the family " ~ owner ~ " reads " ~ left.group(0) ~ ", which is not a slot of its state") }}
    {%- endif -%}
    {{ return(resolved.text) }}
{% endmacro %}


{% macro dse_state_slices(states) %}
    {#- (name, length, offset) of each state inside the `state` column. -#}
    {%- set slices = [] -%}
    {%- set offset = namespace(value=0) -%}
    {%- for name, length in states -%}
        {%- do slices.append((name, length, offset.value)) -%}
        {%- set offset.value = offset.value + length -%}
    {%- endfor -%}
    {{ return(slices) }}
{% endmacro %}


{% macro dse_state_interval() %}
    {#-
        Rows whose row_num is a multiple of this keep the states; the others store null. A
        daily run recomputes, without rewriting them, the rows between the last stored state
        and its change: half the interval per scrip on average. Keeping every row's state
        would make a full refresh write about twice as much, the state being the larger half
        of a row (docs/benchmarks.md).
    -#}
    {{- return(16) -}}
{% endmacro %}


{% macro dse_concat_states(states, trimmed=[]) %}
    {#- The `state` column: every state array, in the plan's order. A state named in `trimmed`
        is longer than its stored length (rebuilt rings at its end): only its start is kept. -#}
    {%- set columns = [] -%}
    {#- A state is null on a row before its aggregate's first (a look-back row, never
        written): keep the seed, or the aggregates' zero start, so every slice stays in place. -#}
    {%- for name, length in states -%}
        {%- set column = 'coalesce(st__' ~ name ~ ', seed__' ~ name ~ ', array_fill(0::float8, array['
            ~ length ~ ']))' -%}
        {%- do columns.append('(' ~ column ~ ')[1:' ~ length ~ ']' if name in trimmed else column) -%}
    {%- endfor -%}
    {{- columns | join(' || ') if columns else 'null::float8 []' -}}
{% endmacro %}
