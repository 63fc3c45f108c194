{#-
    The 31 keys of the old backfill job (CONTRACT.md section 3, "The keys of the old backfill
    script"; docs/backfill-keys.md). The job computed a row from W, the last min(t, 200)
    accepted rows, so m = min(row_num, 200). Its keys are in every document: JSON null where
    the contract says null (always_present), integers and booleans typed as such (types).
    Three families, by how a daily run can compute them:
    - dse_backfill_windows: windows over at most 20 rows, and the row's own values;
    - dse_backfill_long: SMA_50 and AD_line, sums over 50 and 200 rows (long windows);
    - dse_backfill_recursive: EMA, MACD and OBV, whose 200-row window restarts: sliding sums.
-#}

{% macro dse_backfill_ad_term() %}
    {#- mfm * volume, mfm = ((close - low) - (high - close)) / (high - low), 0 where high = low. -#}
    {{- return('(case when high = low then 0::float8 else ((close - low) - (high - close))'
        ~ ' / (high - low) end * volume::float8)') -}}
{% endmacro %}


{% macro dse_backfill_windows() %}
    {%- set by_date = 'over (partition by scrip order by trading_date)' -%}
    {%- set sums = dse_sma('close', [3, 5, 20]) -%}
    {%- set volume_sums = dse_sma('volume::float8', [10, 20], 'volume_sma') -%}
    {%- set change = 'close - bf_previous_close' -%}
    {%- set rising = 'bf_typical > bf_previous_typical' -%}
    {%- set falling = 'bf_typical < bf_previous_typical' -%}
    {%- set level_1 = {
        'bf_previous_close': 'lag(close) ' ~ by_date,
        'bf_typical': '(high + low + close) / 3',
        'bf_previous_typical': 'lag((high + low + close) / 3) ' ~ by_date,
        'bf_close_std_20': 'stddev_pop(close) ' ~ dse_trailing(20),
        'bf_flow_sum_20': 'sum(' ~ dse_backfill_ad_term() ~ ') ' ~ dse_trailing(20),
    } -%}
    {%- set level_2 = {
        'bf_gain_sum_14': 'sum(greatest(' ~ change ~ ', 0)) ' ~ dse_trailing(14),
        'bf_loss_sum_14': 'sum(greatest(bf_previous_close - close, 0)) ' ~ dse_trailing(14),
        'bf_true_range_sum_14': 'sum(greatest(high - low, abs(high - bf_previous_close),'
            ~ ' abs(low - bf_previous_close))) ' ~ dse_trailing(14),
        'bf_positive_flow_14': 'sum(case when ' ~ rising ~ ' then bf_typical * volume else 0 end) '
            ~ dse_trailing(14),
        'bf_negative_flow_14': 'sum(case when ' ~ falling ~ ' then bf_typical * volume else 0 end) '
            ~ dse_trailing(14),
    } -%}
    {%- for family in [sums, volume_sums] -%}
        {%- do level_1.update(family.levels[0]) -%}
        {%- do level_2.update(family.levels[1]) -%}
    {%- endfor -%}
    {%- set middle = 'sma_20__sum / 20' -%}
    {%- set upper = '(' ~ middle ~ ' + 2 * bf_close_std_20)' -%}
    {%- set lower = '(' ~ middle ~ ' - 2 * bf_close_std_20)' -%}
    {%- set gain, loss = 'bf_gain_sum_14 / 14', 'bf_loss_sum_14 / 14' -%}
    {%- set from_row = 'case when row_num >= {n} then {value} end' -%}
    {%- set outputs = {
        'SMA_3': from_row.format(n=3, value='sma_3__sum / 3'),
        'SMA_5': from_row.format(n=5, value='sma_5__sum / 5'),
        'SMA_20': from_row.format(n=20, value=middle),
        'RSI_14': from_row.format(n=15, value='case when ' ~ loss ~ ' = 0 then 100'
            ~ ' else 100 - 100 / (1 + (' ~ gain ~ ') / (' ~ loss ~ ')) end'),
        'BOLLINGER_middle_20_2': from_row.format(n=20, value=middle),
        'BOLLINGER_upper_20_2': from_row.format(n=20, value=upper),
        'BOLLINGER_lower_20_2': from_row.format(n=20, value=lower),
        'BOLLINGER_bandwidth_20_2': from_row.format(n=20, value='(' ~ upper ~ ' - ' ~ lower
            ~ ') / nullif(' ~ middle ~ ', 0)'),
        'ATR_14': from_row.format(n=15, value='bf_true_range_sum_14 / 14'),
        'volume_ratio_20': from_row.format(n=20, value='volume / nullif(volume_sma_20__sum / 20, 0)'),
        'volume_SMA_10': from_row.format(n=10, value='volume_sma_10__sum / 10'),
        'volume_SMA_20': from_row.format(n=20, value='volume_sma_20__sum / 20'),
        'MFI_14': from_row.format(n=15, value='case when bf_negative_flow_14 = 0 then 100'
            ~ ' else 100 - 100 / (1 + bf_positive_flow_14 / bf_negative_flow_14) end'),
        'CMF_20': from_row.format(n=20, value='bf_flow_sum_20 / nullif(volume_sma_20__sum, 0)'),
        'log_return': from_row.format(n=2, value='ln(close / bf_previous_close)'),
        'high_low_range': '(high - low) / close',
        'close_open_diff': '(close - open) / open',
        'day_of_week': 'extract(isodow from trading_date)::integer',
        'week_of_month': '(extract(day from trading_date)::integer - 1) / 7 + 1',
        'month': 'extract(month from trading_date)::integer',
        'is_month_end': dse_backfill_month_end(),
        'is_quarter_end': '(' ~ dse_backfill_month_end() ~ ' and extract(month from trading_date)::integer % 3 = 0)',
    } -%}
    {{ return({
        'name': 'backfill_windows',
        'levels': [level_1, level_2],
        'outputs': outputs,
        'first_rows': {
            'SMA_3': 3, 'SMA_5': 5, 'SMA_20': 20, 'RSI_14': 15,
            'BOLLINGER_middle_20_2': 20, 'BOLLINGER_upper_20_2': 20, 'BOLLINGER_lower_20_2': 20,
            'BOLLINGER_bandwidth_20_2': 20, 'ATR_14': 15, 'volume_ratio_20': 20,
            'volume_SMA_10': 10, 'volume_SMA_20': 20, 'MFI_14': 15, 'CMF_20': 20, 'log_return': 2,
            'high_low_range': 1, 'close_open_diff': 1, 'day_of_week': 1, 'week_of_month': 1,
            'month': 1, 'is_month_end': 1, 'is_quarter_end': 1,
        },
        'always_present': true,
        'types': {
            'day_of_week': 'integer', 'week_of_month': 'integer', 'month': 'integer',
            'is_month_end': 'boolean', 'is_quarter_end': 'boolean',
        },
        'lookback': 20,
    }) }}
{% endmacro %}


{% macro dse_backfill_month_end() %}
    {#- One of the last 3 days of its calendar month. -#}
    {{- return("((date_trunc('month', trading_date) + interval '1 month')::date - trading_date <= 3)") -}}
{% endmacro %}


{% macro dse_backfill_long() %}
    {#-
        SMA_50 and AD_line: sums over the last 50 and 200 rows, as long windows (a daily run
        adds what its look-back rows contribute). Before a scrip's 200th row the AD_line
        window holds every row since the first.
    -#}
    {%- set sma = dse_sma('close', [50]) -%}
    {%- set ad_line = dse_blocked_window('sum', dse_backfill_ad_term(), 200, 'bf_ad_line__sum') -%}
    {%- set level_1, level_2 = {}, {} -%}
    {%- for levels in [sma.levels, ad_line] -%}
        {%- do level_1.update(levels[0]) -%}
        {%- do level_2.update(levels[1]) -%}
    {%- endfor -%}
    {{ return({
        'name': 'backfill_long',
        'levels': [level_1, level_2],
        'outputs': {
            'SMA_50': 'case when row_num >= 50 then sma_50__sum / 50 end',
            'AD_line': 'bf_ad_line__sum',
        },
        'first_rows': {'SMA_50': 50, 'AD_line': 1},
        'always_present': true,
        'lookback': 199,
        'windows': sma.windows + [('sum', dse_backfill_ad_term(), 200, 'bf_ad_line__sum')],
    }) }}
{% endmacro %}


{% macro dse_backfill_recursive() %}
    {#-
        EMA_3, EMA_20, EMA_50, the MACD (12, 26, 9) line, signal and histogram, and OBV, over
        W. On rows 1 … 199 W starts at the scrip's first row: the ordinary recursions (EMA
        seeded with the mean of W's first n closes; MACD's F from row 12, S from row 26, the
        signal seeded on row 34 with the mean of the line on rows 26 … 34). From row 200 W
        slides, and each key is a fixed sum of terms C * E(base, first lag, last lag) over the
        last 200 closes (dse_backfill_terms, generated from the reference's exact_terms);
        each E slides in O(1): E = base * E + the close entering - base^length * the close
        leaving. The sums run from the first row on (a close before it counts as 0), so they
        are whole when row 200 needs them. OBV adds the new row's signed volume (truncated to
        a whole number, as the old job did: an adjusted volume has a fraction) and, from row
        201, takes off the one leaving W.
        The last 201 closes and volumes are rings (element row % 201). A daily run does not
        store them: it rebuilds them from its look-back rows (rebuilt).
    -#}
    {%- set terms = dse_backfill_terms() -%}
    {%- set slots = ['seen', 'ema_3', 'ema_20', 'ema_50', 'fast', 'slow', 'signal', 'obv'] -%}
    {%- for sum in terms.sums -%}{%- do slots.append('e_' ~ loop.index0) -%}{%- endfor -%}
    {%- do slots.extend([('closes', 201), ('volumes', 201)]) -%}
    {%- set full = {} -%}
    {%- for key, key_terms in terms['keys'].items() -%}
        {%- set parts = [] -%}
        {%- for coefficient, index in key_terms -%}
            {%- do parts.append(coefficient ~ ' * {e_' ~ index ~ '}') -%}
        {%- endfor -%}
        {%- do full.update({key: '(' ~ parts | join(' + ') ~ ')'}) -%}
    {%- endfor -%}
    {%- set windowed = 'case when {seen} >= {n} then case when {seen} < 200 then {head} else {full} end end' -%}
    {%- set outputs = {} -%}
    {%- for n in [3, 20, 50] -%}
        {%- do outputs.update({'EMA_' ~ n: windowed.replace('{n}', n | string)
            .replace('{head}', '{ema_' ~ n ~ '}').replace('{full}', full['EMA_' ~ n])}) -%}
    {%- endfor -%}
    {%- for key, head, tail in [
        ('MACD_line_12_26_9', '({fast} - {slow})', full.MACD_line),
        ('MACD_signal_12_26_9', '{signal}', full.MACD_signal),
        ('MACD_hist_12_26_9', '({fast} - {slow}) - {signal}', full.MACD_line ~ ' - ' ~ full.MACD_signal),
    ] -%}
        {%- do outputs.update({key: windowed.replace('{n}', '34').replace('{head}', head)
            .replace('{full}', tail)}) -%}
    {%- endfor -%}
    {%- do outputs.update({'OBV': '{obv}'}) -%}
    {{ return({
        'name': 'backfill_recursive',
        'outputs': outputs,
        'first_rows': {
            'EMA_3': 3, 'EMA_20': 20, 'EMA_50': 50, 'MACD_line_12_26_9': 34,
            'MACD_signal_12_26_9': 34, 'MACD_hist_12_26_9': 34, 'OBV': 1,
        },
        'always_present': true,
        'recursive': {
            'name': 'backfill',
            'slots': slots,
            'rebuilt': {'closes': 'close', 'volumes': 'volume::float8'},
            'inputs': {'price': 'close', 'volume': 'volume::float8'},
            'declare': ['t integer;', 'line float8;', 'previous float8;', 'leaving float8;'],
            'body': dse_backfill_step(terms),
        },
    }) }}
{% endmacro %}


{% macro dse_backfill_ema_step(slot, n, value, row='t') %}
    {#- One step of an EMA_n of `value`, seeded with the mean of its first n values; `row`
        counts the values from 0. -#}
    {%- set a = '(2.0::float8 / ' ~ (n + 1) ~ ')' -%}
    {%- set body -%}
if {{ row }} < {{ n }} then
    {{ slot }} := {{ slot }} + {{ value }};
    if {{ row }} = {{ n - 1 }} then
        {{ slot }} := {{ slot }} / {{ n }};
    end if;
else
    {{ slot }} := {{ a }} * {{ value }} + (1 - {{ a }}) * {{ slot }};
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}


{% macro dse_backfill_step(terms) %}
    {%- set lag = '{closes[(t + {d}) % 201]}' -%}
    {%- set body -%}
t := {seen}::integer;
{seen} := t + 1;
{closes[t % 201]} := price;
{volumes[t % 201]} := volume;
-- The ordinary recursions, while W starts at the first row.
if t < 199 then
    {%- for slot, n in [('{ema_3}', 3), ('{ema_20}', 20), ('{ema_50}', 50), ('{fast}', 12), ('{slow}', 26)] %}
    {{ dse_backfill_ema_step(slot, n, 'price') | indent(4) }}
    {%- endfor %}
    if t >= 25 then
        line := {fast} - {slow};
        {{ dse_backfill_ema_step('{signal}', 9, 'line', 't - 25') | indent(8) }}
    end if;
end if;
-- The sliding sums (a close before the first row is 0: its ring element is still 0).
{%- for sum in terms.sums %}
{%- set entering = 'price' if sum.first_lag == 0 else lag.replace('{d}', (201 - sum.first_lag) | string) %}
{%- set leaving = lag.replace('{d}', (201 - sum.last_lag - 1) | string) %}
{%- if sum.base == '1.0' %}
{e_{{ loop.index0 }}} := {e_{{ loop.index0 }}} + {{ entering }} - {{ leaving }};
{%- else %}
{e_{{ loop.index0 }}} := {{ sum.base }} * {e_{{ loop.index0 }}} + {{ entering }} - {{ sum.leaving }} * {{ leaving }};
{%- endif %}
{%- endfor %}
-- OBV: the row's signed volume in, from row 201 the one of the row leaving W out.
if t >= 1 then
    previous := {closes[(t + 200) % 201]};
    {obv} := {obv} + case when price > previous then trunc(volume) when price < previous then -trunc(volume) else 0 end;
end if;
if t >= 200 then
    previous := {closes[(t + 1) % 201]};
    leaving := {closes[(t + 2) % 201]};
    {obv} := {obv} - case
        when leaving > previous then trunc({volumes[(t + 2) % 201]})
        when leaving < previous then -trunc({volumes[(t + 2) % 201]})
        else 0
    end;
end if;
    {%- endset -%}
    {{ return(body) }}
{% endmacro %}
