{% macro dse_bbands(n, deviations) %}
    {#-
        BBANDS(close, n, deviations, deviations, SMA) as TA-Lib computes it: the middle band is
        SMA(n); the deviation is the population one, from the mean of squares minus the squared
        mean, and TA-Lib takes it as 0 where that variance is below 1e-8.
    -#}
    {%- set sfx = '_' ~ n -%}
    {{ return({
        'levels': [
            {
                'bb_sum' ~ sfx: 'sum(close) ' ~ dse_trailing(n),
                'bb_sum_squares' ~ sfx: 'sum(close * close) ' ~ dse_trailing(n),
            },
            {
                'bb_variance' ~ sfx: 'bb_sum_squares' ~ sfx ~ ' / ' ~ n ~ ' - (bb_sum' ~ sfx
                    ~ ' / ' ~ n ~ ') * (bb_sum' ~ sfx ~ ' / ' ~ n ~ ')',
            },
            {
                'bb_width' ~ sfx: 'case when bb_variance' ~ sfx ~ ' < 1e-8 then 0 else '
                    ~ deviations ~ ' * sqrt(bb_variance' ~ sfx ~ ') end',
            },
        ],
        'outputs': {
            'bb_upper' ~ sfx: 'case when row_num >= ' ~ n ~ ' then bb_sum' ~ sfx ~ ' / ' ~ n
                ~ ' + bb_width' ~ sfx ~ ' end',
            'bb_middle' ~ sfx: 'case when row_num >= ' ~ n ~ ' then bb_sum' ~ sfx ~ ' / ' ~ n ~ ' end',
            'bb_lower' ~ sfx: 'case when row_num >= ' ~ n ~ ' then bb_sum' ~ sfx ~ ' / ' ~ n
                ~ ' - bb_width' ~ sfx ~ ' end',
        },
        'lookback': n - 1,
    }) }}
{% endmacro %}
