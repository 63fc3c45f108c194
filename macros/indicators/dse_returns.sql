{% macro dse_returns(roc_period) %}
    {#-
        ret_1d = ROCP(close, 1) = (close - previous) / previous and
        roc_n = ROC(close, n) = (close / close n rows back - 1) * 100, as TA-Lib computes them
        (0 where the base close is 0, which accepted prices never are).
    -#}
    {%- set base = 'roc_base_' ~ roc_period -%}
    {{ return({
        'name': 'returns_' ~ roc_period,
        'levels': [{
            'ret_base': 'lag(close) over (partition by scrip order by trading_date)',
            base: 'lag(close, ' ~ roc_period ~ ') over (partition by scrip order by trading_date)',
        }],
        'outputs': {
            'roc_' ~ roc_period: 'case when row_num > ' ~ roc_period ~ ' then case when ' ~ base
                ~ ' <> 0 then (close / ' ~ base ~ ' - 1) * 100 else 0 end end',
            'ret_1d': 'case when row_num > 1 then case when ret_base <> 0'
                ~ ' then (close - ret_base) / ret_base else 0 end end',
        },
        'first_rows': {'roc_' ~ roc_period: roc_period + 1, 'ret_1d': 2},
        'lookback': roc_period,
    }) }}
{% endmacro %}
