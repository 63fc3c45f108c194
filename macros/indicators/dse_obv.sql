{% macro dse_obv() %}
    {#-
        OBV(close, volume) as TA-Lib computes it: the first row's volume, then plus the volume
        on an up close, minus it on a down close. A running sum of whole numbers, exact in
        float8; a daily run adds to the stored total, which only its first row carries as a
        seed. State: [OBV].
    -#}
    {%- set previous_close = 'lag(close) over (partition by scrip order by trading_date)' -%}
    {{ return({
        'levels': [
            {
                'obv_step': 'case when row_num = 1 then volume::float8'
                    ~ ' when close > ' ~ previous_close ~ ' then volume::float8'
                    ~ ' when close < ' ~ previous_close ~ ' then -volume::float8 else 0 end',
            },
            {
                'obv_total': 'sum(obv_step + coalesce(seed__obv[1], 0)) filter (where is_new) '
                    ~ dse_running(),
            },
            {'st__obv': 'array[obv_total]'},
        ],
        'outputs': {'obv': 'obv_total'},
        'states': [('obv', 1)],
        'lookback': 1,
    }) }}
{% endmacro %}
