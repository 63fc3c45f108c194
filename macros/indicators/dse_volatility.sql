{% macro dse_volatility(n) %}
    {#-
        volatility_n = STDDEV(ROCP(close, 1), n, 1): the population standard deviation of the
        last n daily returns with TA-Lib's own running variance (dse_variance_v1). The returns
        start on the second row (the first has no previous close), so the first value is at
        row n + 1.
    -#}
    {%- set name = 'volatility_' ~ n -%}
    {%- set st = 'st__' ~ name -%}
    {%- set previous_close = 'lag(close) over (partition by scrip order by trading_date)' -%}
    {{ return({
        'levels': [
            {
                'vol_return_' ~ n: '(close - ' ~ previous_close ~ ') / ' ~ previous_close,
            },
            {
                st: dse_function('dse_variance_v1') ~ '(vol_return_' ~ n ~ ', ' ~ n ~ ', seed__'
                    ~ name ~ ') filter (where is_new and row_num > 1) ' ~ dse_running(),
            },
        ],
        'outputs': {
            name: 'case when ' ~ st ~ '[1] >= ' ~ n ~ ' then sqrt(greatest(' ~ st ~ '[6], 0)) end',
        },
        'states': [(name, 6 + n)],
        'lookback': 1,
        'functions': dse_rolling_variance_functions(),
    }) }}
{% endmacro %}
