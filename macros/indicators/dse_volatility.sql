{% macro dse_volatility(n) %}
    {#-
        volatility_n = STDDEV(ROCP(close, 1), n, 1): the population standard deviation of the
        last n daily returns with TA-Lib's own running variance (dse_variance_step). The returns
        start on the second row (the first has no previous close: its return is null and
        leaves the state as it is), so the first value is at row n + 1.
    -#}
    {%- set name = 'volatility_' ~ n -%}
    {%- set previous_close = 'lag(close) over (partition by scrip order by trading_date)' -%}
    {{ return({
        'name': name,
        'levels': [{
            'vol_return_' ~ n: '(close - ' ~ previous_close ~ ') / ' ~ previous_close,
        }],
        'outputs': {
            name: 'case when {seen} >= ' ~ n ~ ' then sqrt(greatest({last_variance}, 0)) end',
        },
        'first_rows': {name: n + 1},
        'recursive': dse_variance_fragment(name, 'daily_return', 'vol_return_' ~ n, n, skip_nulls=true),
        'lookback': 1,
    }) }}
{% endmacro %}
