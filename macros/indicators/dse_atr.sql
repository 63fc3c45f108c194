{% macro dse_atr(n) %}
    {#-
        ATR(high, low, close, n) as TA-Lib computes it: the true range needs the previous close,
        so it starts at row 2; the first ATR (row n + 1) is the mean of the first n true ranges,
        then Wilder's smoothing: atr = (atr * (n - 1) + tr) / n.
        State: [rows seen, previous close, ATR (sum of true ranges while seeding)].
    -#}
    {%- set st = 'st__atr_' ~ n -%}
    {{ return({
        'levels': [{
            st: dse_function('dse_atr_v1') ~ '(high, low, close, ' ~ n ~ ', seed__atr_' ~ n ~ ') '
                ~ 'filter (where is_new) ' ~ dse_running()
        }],
        'outputs': {'atr_' ~ n: 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then ' ~ st ~ '[3] end'},
        'states': [('atr_' ~ n, 3)],
        'functions': dse_atr_functions(),
    }) }}
{% endmacro %}


{% macro dse_atr_functions() %}
    {%- set step -%}
create or replace function {{ dse_function('dse_atr_v1_step') }}(
    state float8[], high float8, low float8, price float8, periods integer, seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
declare
    true_range float8;
begin
    if state is null then
        state := coalesce(seed, array[0, 0, 0]::float8[]);
    end if;
    if state[1] > 0 then
        true_range := greatest(high - low, abs(state[2] - high), abs(state[2] - low));
        if state[1] > periods then
            state[3] := (state[3] * (periods - 1) + true_range) / periods;
        else
            state[3] := state[3] + true_range;
            if state[1] = periods then
                state[3] := state[3] / periods;
            end if;
        end if;
    end if;
    state[1] := state[1] + 1;
    state[2] := price;
    return state;
end
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_atr_v1') }}(float8, float8, float8, integer, float8[]) (
    sfunc = {{ dse_function('dse_atr_v1_step') }}, stype = float8[], parallel = safe
)
    {%- endset -%}
    {{ return([step, aggregate]) }}
{% endmacro %}
