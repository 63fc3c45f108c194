{% macro dse_obv() %}
    {#-
        OBV(close, volume) as TA-Lib computes it: the first row's volume (the row without a
        previous close: accepted closes are never null), then plus the volume
        on an up close, minus it on a down close. A running sum of whole numbers, exact in
        float8; a daily run adds to the stored total, which only its first row carries as a
        seed. The state `obv` is one slot, the running total; its column is the running sum
        itself: the plan puts it in the last level, where it shares the recursive aggregates'
        window node.
    -#}
    {%- set previous_close = 'lag(close) over (partition by scrip order by trading_date)' -%}
    {{ return({
        'name': 'obv',
        'levels': [
            {
                'obv_step': 'case when ' ~ previous_close ~ ' is null then volume::float8'
                    ~ ' when close > ' ~ previous_close ~ ' then volume::float8'
                    ~ ' when close < ' ~ previous_close ~ ' then -volume::float8 else 0 end',
            },
            {
                'st__obv': 'array[sum(obv_step + coalesce({seed.total}, 0)) filter (where is_new) '
                    ~ dse_running() ~ ']',
            },
        ],
        'outputs': {'obv': '{total}'},
        'first_rows': {'obv': 1},
        'states': [('obv', ['total'])],
        'lookback': 1,
    }) }}
{% endmacro %}
