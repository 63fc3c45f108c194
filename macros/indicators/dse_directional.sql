{% macro dse_directional(n) %}
    {#-
        PLUS_DI, MINUS_DI and ADX(high, low, close, n) as TA-Lib computes them. One-bar +DM and
        -DM (the larger move wins, a tie gives neither) and the true range are smoothed in
        Wilder's running-sum form, s = s - s / n + today, starting from the plain sums of rows
        2 .. n; DI = 100 * DM / TR (0 where TR is 0), first at row n + 1. DX = 100 * |-DI - +DI|
        / (+DI + -DI) where defined; ADX is the mean of the first n DX (an undefined DX adds 0),
        first at row 2n, then (adx * (n - 1) + DX) / n, kept unchanged where DX is undefined.
        The smoothed_* slots hold Wilder's running sums of +DM, -DM and the true range.
    -#}
    {%- set ready = 'case when {seen} > ' ~ n ~ ' then ' -%}
    {%- set di = ' case when {smoothed_tr} > 0 then 100 * ({smoothed_DM} / {smoothed_tr}) else 0 end' -%}
    {{ return({
        'name': 'dmi_' ~ n,
        'outputs': {
            'adx_' ~ n: 'case when {seen} >= ' ~ 2 * n ~ ' then {adx} end',
            'plus_di_' ~ n: ready ~ di.replace('DM', 'plus_dm') ~ ' end',
            'minus_di_' ~ n: ready ~ di.replace('DM', 'minus_dm') ~ ' end',
        },
        'first_rows': {'adx_' ~ n: 2 * n, 'plus_di_' ~ n: n + 1, 'minus_di_' ~ n: n + 1},
        'recursive': {
            'name': 'dmi_' ~ n,
            'slots': [
                'seen', 'previous_high', 'previous_low', 'previous_close',
                'smoothed_plus_dm', 'smoothed_minus_dm', 'smoothed_tr',
                'dx_sum', 'adx',
            ],
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
row_index := {seen}::integer;
{seen} := row_index + 1;
if row_index > 0 then
    up := high - {previous_high};
    down := {previous_low} - low;
    if up > down and up > 0 then
        plus_move := up;
    end if;
    if down > up and down > 0 then
        minus_move := down;
    end if;
    true_range := greatest(high - low, abs({previous_close} - high), abs({previous_close} - low));
    if row_index < {{ n }} then
        {smoothed_plus_dm} := {smoothed_plus_dm} + plus_move;
        {smoothed_minus_dm} := {smoothed_minus_dm} + minus_move;
        {smoothed_tr} := {smoothed_tr} + true_range;
    else
        {smoothed_plus_dm} := {smoothed_plus_dm} - {smoothed_plus_dm} / {{ n }} + plus_move;
        {smoothed_minus_dm} := {smoothed_minus_dm} - {smoothed_minus_dm} / {{ n }} + minus_move;
        {smoothed_tr} := {smoothed_tr} - {smoothed_tr} / {{ n }} + true_range;
        if {smoothed_tr} > 0 then
            minus_di := 100 * ({smoothed_minus_dm} / {smoothed_tr});
            plus_di := 100 * ({smoothed_plus_dm} / {smoothed_tr});
            if not (-1e-14 < minus_di + plus_di and minus_di + plus_di < 1e-14) then
                dx := 100 * (abs(minus_di - plus_di) / (minus_di + plus_di));
            end if;
        end if;
        if row_index < {{ 2 * n - 1 }} then
            {dx_sum} := {dx_sum} + coalesce(dx, 0);
        elsif row_index = {{ 2 * n - 1 }} then
            {dx_sum} := {dx_sum} + coalesce(dx, 0);
            {adx} := {dx_sum} / {{ n }};
        elsif dx is not null then
            {adx} := ({adx} * {{ n - 1 }} + dx) / {{ n }};
        end if;
    end if;
end if;
{previous_high} := high;
{previous_low} := low;
{previous_close} := price;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
