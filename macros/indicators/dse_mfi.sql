{% macro dse_mfi(n) %}
    {#-
        MFI(high, low, close, volume, n) as TA-Lib computes it: tp = (high + low + close) / 3;
        a row's money flow tp * volume counts as positive or negative by the move of tp, and
        is 0 where tp did not move (scaled 1e-14 test). The n-row sums are running sums (add
        the new row, subtract the one leaving), reset to 0 after n rows without flow;
        MFI = 100 * positive / (positive + negative), 0 where that total is not above 0.
        First value at row n + 1.
        The last n positive flows and the last n negative flows are kept in rings (element
        row % n).
    -#}
    {%- set name = 'mfi_' ~ n -%}
    {{ return({
        'name': name,
        'outputs': {name: 'case when {seen} > ' ~ n ~ ' then {mfi} end'},
        'first_rows': {name: n + 1},
        'recursive': {
            'name': name,
            'slots': [
                'seen', 'previous_typical', 'positive_sum', 'negative_sum', 'rows_without_flow',
                'mfi', ('positive_flows', n), ('negative_flows', n),
            ],
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close', 'volume': 'volume::float8'},
            'declare': [
                'row_index integer;', 'ring_slot integer;',
                'typical float8 := (high + low + price) / 3;', 'move float8;', 'flow float8;',
                'total float8;',
            ],
            'body': dse_mfi_step(name, n),
        },
    }) }}
{% endmacro %}


{% macro dse_mfi_step(name, n) %}
    {%- set body -%}
row_index := {seen}::integer;
{seen} := row_index + 1;
if row_index = 0 then
    {previous_typical} := typical;
    exit {{ name }};
end if;
ring_slot := row_index % {{ n }};
if row_index > {{ n }} then
    {positive_sum} := {positive_sum} - {positive_flows[ring_slot]};
    {negative_sum} := {negative_sum} - {negative_flows[ring_slot]};
end if;
move := typical - {previous_typical};
if abs(move) <= 1e-14 * (abs(typical) + abs({previous_typical})) then
    flow := 0;
else
    flow := typical * volume;
end if;
{previous_typical} := typical;
if move < 0 then
    {positive_flows[ring_slot]} := 0;
    {negative_flows[ring_slot]} := flow;
else
    {positive_flows[ring_slot]} := flow;
    {negative_flows[ring_slot]} := 0;
end if;
{positive_sum} := {positive_sum} + {positive_flows[ring_slot]};
{negative_sum} := {negative_sum} + {negative_flows[ring_slot]};
-- Running sums keep rounding residue: TA-Lib clears them once the window holds no flow.
if flow = 0 then
    {rows_without_flow} := least({rows_without_flow} + 1, {{ n }});
else
    {rows_without_flow} := 0;
end if;
if {rows_without_flow} >= {{ n }} then
    {positive_sum} := 0;
    {negative_sum} := 0;
end if;
if row_index >= {{ n }} then
    total := {positive_sum} + {negative_sum};
    if total <= 0 then
        {mfi} := 0;
    else
        {mfi} := 100 * (least(greatest({positive_sum}, 0), total) / total);
    end if;
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
