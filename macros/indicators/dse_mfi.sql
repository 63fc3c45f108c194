{% macro dse_mfi(n) %}
    {#-
        MFI(high, low, close, volume, n) as TA-Lib computes it: tp = (high + low + close) / 3;
        a row's money flow tp * volume counts as positive or negative by the move of tp, and
        is 0 where tp did not move (scaled 1e-14 test). The n-row sums are running sums (add
        the new row, subtract the one leaving), reset to 0 after n rows without flow;
        MFI = 100 * positive / (positive + negative), 0 where that total is not above 0.
        First value at row n + 1.
        State: [rows seen, previous tp, positive sum, negative sum, rows without flow, MFI,
        then the last n positive flows and the last n negative flows in rings].
    -#}
    {%- set name = 'mfi_' ~ n -%}
    {%- set st = 'st__' ~ name -%}
    {{ return({
        'outputs': {name: 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then ' ~ st ~ '[6] end'},
        'recursive': {
            'name': name,
            'length': 6 + 2 * n,
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close', 'volume': 'volume::float8'},
            'declare': [
                'row_index integer;', 'positive_slot integer;', 'negative_slot integer;',
                'typical float8 := (high + low + price) / 3;', 'move float8;', 'flow float8;',
                'total float8;',
            ],
            'body': dse_mfi_step(name, n),
        },
    }) }}
{% endmacro %}


{% macro dse_mfi_step(name, n) %}
    {%- set body -%}
row_index := state[1]::integer;
state[1] := row_index + 1;
if row_index = 0 then
    state[2] := typical;
    exit {{ name }};
end if;
positive_slot := 7 + row_index % {{ n }};
negative_slot := positive_slot + {{ n }};
if row_index > {{ n }} then
    state[3] := state[3] - state[positive_slot];
    state[4] := state[4] - state[negative_slot];
end if;
move := typical - state[2];
if abs(move) <= 1e-14 * (abs(typical) + abs(state[2])) then
    flow := 0;
else
    flow := typical * volume;
end if;
state[2] := typical;
if move < 0 then
    state[positive_slot] := 0;
    state[negative_slot] := flow;
else
    state[positive_slot] := flow;
    state[negative_slot] := 0;
end if;
state[3] := state[3] + state[positive_slot];
state[4] := state[4] + state[negative_slot];
-- Running sums keep rounding residue: TA-Lib clears them once the window holds no flow.
if flow = 0 then
    state[5] := least(state[5] + 1, {{ n }});
else
    state[5] := 0;
end if;
if state[5] >= {{ n }} then
    state[3] := 0;
    state[4] := 0;
end if;
if row_index >= {{ n }} then
    total := state[3] + state[4];
    if total <= 0 then
        state[6] := 0;
    else
        state[6] := 100 * (least(greatest(state[3], 0), total) / total);
    end if;
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
