{% macro dse_cci(n) %}
    {#-
        CCI(high, low, close, n) as TA-Lib computes it: tp = (high + low + close) / 3; over the
        last n rows mean = sum(tp) / n and mean deviation = sum(|tp - mean|) / n, both summed
        in TA-Lib's ring-buffer order (slot = row % n, not date order: the rounding of the mean
        shows when tp is close to it); CCI = (tp - mean) / (0.015 * mean deviation), 0 where
        either is within 1e-14 of the mean's size. First value at row n.
        State: [rows seen, CCI of the last row, the last n typical prices in a ring].
    -#}
    {%- set name = 'cci_' ~ n -%}
    {%- set st = 'st__' ~ name -%}
    {{ return({
        'levels': [{
            st: dse_function('dse_cci_v1') ~ '((high + low + close) / 3, ' ~ n ~ ', seed__' ~ name
                ~ ') filter (where is_new) ' ~ dse_running(),
        }],
        'outputs': {name: 'case when ' ~ st ~ '[1] >= ' ~ n ~ ' then ' ~ st ~ '[2] end'},
        'states': [(name, 2 + n)],
        'functions': dse_cci_functions(n),
    }) }}
{% endmacro %}


{% macro dse_cci_functions(n) %}
    {#-
        For the family's own period the two sums are written out, one expression each, in
        slot order: the same additions as the loops, in half the time (a loop step is a
        PL/pgSQL statement). Any other period takes the loops.
    -#}
    {%- set slots = range(3, 3 + n) -%}
    {%- set step -%}
create or replace function {{ dse_function('dse_cci_v1_step') }}(
    state float8[], typical float8, periods integer, seed float8[]
) returns float8[] language plpgsql immutable parallel safe as $fn$
declare
    total float8 := 0;
    mean float8;
    deviation_total float8 := 0;
    mean_deviation float8;
    distance float8;
begin
    if state is null then
        state := coalesce(seed, array_fill(0::float8, array[2 + periods]));
    end if;
    state[3 + state[1]::integer % periods] := typical;
    state[1] := state[1] + 1;
    if state[1] < periods then
        return state;
    end if;
    if periods = {{ n }} then
        mean := ({% for slot in slots %}state[{{ slot }}]{{ ' + ' if not loop.last }}{% endfor %}) / periods;
        deviation_total :=
            {% for slot in slots %}abs(state[{{ slot }}] - mean){{ ' + ' if not loop.last }}{% endfor %};
    else
        for slot in 3 .. 2 + periods loop
            total := total + state[slot];
        end loop;
        mean := total / periods;
        for slot in 3 .. 2 + periods loop
            deviation_total := deviation_total + abs(state[slot] - mean);
        end loop;
    end if;
    mean_deviation := deviation_total / periods;
    distance := typical - mean;
    if abs(distance) <= 1e-14 * abs(mean) or abs(mean_deviation) <= 1e-14 * abs(mean) then
        state[2] := 0;
    else
        state[2] := distance / (0.015::float8 * mean_deviation);
    end if;
    return state;
end
$fn$
    {%- endset -%}
    {%- set aggregate -%}
create or replace aggregate {{ dse_function('dse_cci_v1') }}(float8, integer, float8[]) (
    sfunc = {{ dse_function('dse_cci_v1_step') }}, stype = float8[], parallel = safe
)
    {%- endset -%}
    {{ return([step, aggregate]) }}
{% endmacro %}
