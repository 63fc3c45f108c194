{% macro dse_directional(n) %}
    {#-
        PLUS_DI, MINUS_DI and ADX(high, low, close, n) as TA-Lib computes them. One-bar +DM and
        -DM (the larger move wins, a tie gives neither) and the true range are smoothed in
        Wilder's running-sum form, s = s - s / n + today, starting from the plain sums of rows
        2 .. n; DI = 100 * DM / TR (0 where TR is 0), first at row n + 1. DX = 100 * |-DI - +DI|
        / (+DI + -DI) where defined; ADX is the mean of the first n DX (an undefined DX adds 0),
        first at row 2n, then (adx * (n - 1) + DX) / n, kept unchanged where DX is undefined.
        State: [rows seen, previous high, low, close, +DM, -DM, TR, DX sum, ADX].
    -#}
    {%- set st = 'st__dmi_' ~ n -%}
    {%- set ready = 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then ' -%}
    {%- set di = ' case when ' ~ st ~ '[7] > 0 then 100 * (' ~ st ~ '[{}] / ' ~ st ~ '[7]) else 0 end' -%}
    {{ return({
        'outputs': {
            'adx_' ~ n: 'case when ' ~ st ~ '[1] >= ' ~ 2 * n ~ ' then ' ~ st ~ '[9] end',
            'plus_di_' ~ n: ready ~ di.replace('{}', '5') ~ ' end',
            'minus_di_' ~ n: ready ~ di.replace('{}', '6') ~ ' end',
        },
        'recursive': {
            'name': 'dmi_' ~ n,
            'length': 9,
            'inputs': {'high': 'high', 'low': 'low', 'price': 'close'},
            'declare': [
                'row_index integer;', 'up float8;', 'down float8;', 'plus_move float8 := 0;',
                'minus_move float8 := 0;', 'true_range float8;', 'plus_di float8;',
                'minus_di float8;', 'dx float8;',
            ],
            'body': dse_directional_step(n),
        },
    }) }}
{% endmacro %}


{% macro dse_directional_step(n) %}
    {%- set body -%}
row_index := state[1]::integer;
state[1] := row_index + 1;
if row_index > 0 then
    up := high - state[2];
    down := state[3] - low;
    if up > down and up > 0 then
        plus_move := up;
    end if;
    if down > up and down > 0 then
        minus_move := down;
    end if;
    true_range := greatest(high - low, abs(state[4] - high), abs(state[4] - low));
    if row_index < {{ n }} then
        state[5] := state[5] + plus_move;
        state[6] := state[6] + minus_move;
        state[7] := state[7] + true_range;
    else
        state[5] := state[5] - state[5] / {{ n }} + plus_move;
        state[6] := state[6] - state[6] / {{ n }} + minus_move;
        state[7] := state[7] - state[7] / {{ n }} + true_range;
        if state[7] > 0 then
            minus_di := 100 * (state[6] / state[7]);
            plus_di := 100 * (state[5] / state[7]);
            if not (-1e-14 < minus_di + plus_di and minus_di + plus_di < 1e-14) then
                dx := 100 * (abs(minus_di - plus_di) / (minus_di + plus_di));
            end if;
        end if;
        if row_index < {{ 2 * n - 1 }} then
            state[8] := state[8] + coalesce(dx, 0);
        elsif row_index = {{ 2 * n - 1 }} then
            state[8] := state[8] + coalesce(dx, 0);
            state[9] := state[8] / {{ n }};
        elsif dx is not null then
            state[9] := (state[9] * {{ n - 1 }} + dx) / {{ n }};
        end if;
    end if;
end if;
state[2] := high;
state[3] := low;
state[4] := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
