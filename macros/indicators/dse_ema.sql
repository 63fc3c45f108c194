{% macro dse_ema(periods) %}
    {#-
        EMA(close, n) as TA-Lib computes it: seeded with the mean of the first n closes (first
        value at row n), then ema += (close - ema) * 2 / (n + 1).
        State per period: [rows seen, running sum while seeding and the EMA after].
    -#}
    {%- set level = {} -%}
    {%- set keys = {} -%}
    {%- set states = [] -%}
    {%- for n in periods -%}
        {%- set name = 'ema_' ~ n -%}
        {%- do level.update({
            'st__' ~ name:
                dse_function('dse_ema_v1') ~ '(close, ' ~ n ~ ', seed__' ~ name ~ ') '
                ~ 'filter (where is_new) ' ~ dse_running()
        }) -%}
        {%- do keys.update({
            name: 'case when st__' ~ name ~ '[1] >= ' ~ n ~ ' then st__' ~ name ~ '[2] end'
        }) -%}
        {%- do states.append((name, 2)) -%}
    {%- endfor -%}
    {{ return({
        'levels': [level],
        'outputs': keys,
        'states': states,
        'functions': dse_ema_functions(),
    }) }}
{% endmacro %}


{% macro dse_ema_functions() %}
    {%- set step -%}
create or replace function {{ dse_function('dse_ema_v1_step') }}(
    state float8[], price float8, periods integer, seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
begin
    if state is null then
        state := coalesce(seed, array[0, 0]::float8[]);
    end if;
    if state[1] < periods then
        state[2] := state[2] + price;
        if state[1] = periods - 1 then
            state[2] := state[2] / periods;
        end if;
    else
        state[2] := (price - state[2]) * (2.0::float8 / (periods + 1)) + state[2];
    end if;
    state[1] := state[1] + 1;
    return state;
end
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_ema_v1') }}(float8, integer, float8[]) (
    sfunc = {{ dse_function('dse_ema_v1_step') }}, stype = float8[], parallel = safe
)
    {%- endset -%}
    {{ return([step, aggregate]) }}
{% endmacro %}
