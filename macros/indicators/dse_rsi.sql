{% macro dse_rsi(n) %}
    {#-
        RSI(close, n) as TA-Lib computes it: the first n price changes are averaged, then both
        averages follow Wilder's smoothing; first value at row n + 1. Where average gain plus
        average loss is exactly 0 (nothing moved) TA-Lib 0.8 answers 0.
        State: [rows seen, previous close, average gain (sum while seeding), average loss].
    -#}
    {%- set st = 'st__rsi_' ~ n -%}
    {{ return({
        'levels': [{
            st: dse_function('dse_rsi_v1') ~ '(close, ' ~ n ~ ', seed__rsi_' ~ n ~ ') '
                ~ 'filter (where is_new) ' ~ dse_running()
        }],
        'outputs': {
            'rsi_' ~ n: 'case when ' ~ st ~ '[1] > ' ~ n ~ ' then case when ' ~ st ~ '[3] + '
                ~ st ~ '[4] > 0 then 100 * (' ~ st ~ '[3] / (' ~ st ~ '[3] + ' ~ st ~ '[4]))'
                ~ ' else 0 end end',
        },
        'states': [('rsi_' ~ n, 4)],
        'functions': dse_rsi_functions(),
    }) }}
{% endmacro %}


{% macro dse_rsi_functions() %}
    {%- set step -%}
create or replace function {{ dse_function('dse_rsi_v1_step') }}(
    state float8[], price float8, periods integer, seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
declare
    change float8;
begin
    if state is null then
        state := coalesce(seed, array[0, 0, 0, 0]::float8[]);
    end if;
    if state[1] > 0 then
        change := price - state[2];
        if state[1] > periods then
            state[3] := state[3] * (periods - 1);
            state[4] := state[4] * (periods - 1);
        end if;
        if change < 0 then
            state[4] := state[4] - change;
        else
            state[3] := state[3] + change;
        end if;
        if state[1] >= periods then
            state[3] := state[3] / periods;
            state[4] := state[4] / periods;
        end if;
    end if;
    state[1] := state[1] + 1;
    state[2] := price;
    return state;
end
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_rsi_v1') }}(float8, integer, float8[]) (
    sfunc = {{ dse_function('dse_rsi_v1_step') }}, stype = float8[], parallel = safe
)
    {%- endset -%}
    {{ return([step, aggregate]) }}
{% endmacro %}
