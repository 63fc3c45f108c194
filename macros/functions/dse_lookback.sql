{% macro dse_lookback_functions() %}
    {#-
        dse_lookback_v1(schema, table, scrip, before, rows): the stored inputs of a scrip's last
        `rows` rows before a date, newest first. A daily run reads them for the windows. As a
        subquery of the model, the planner cannot know how many rows one scrip has and reads
        the whole scrip through the scrip index; planned here for each scrip, with its value
        known, it walks the primary key backwards and stops after `rows` rows.
    -#}
    {%- set lookback -%}
create or replace function {{ dse_function('dse_lookback_v1') }}(
    table_schema text, table_name text, wanted_scrip text, before date, wanted_rows integer
) returns table (
    trading_date date,
    price_open float8,
    price_high float8,
    price_low float8,
    price_close float8,
    price_volume bigint,
    row_num integer
) language plpgsql stable parallel safe as $fn$
begin
    return query execute format(
        'select trading_date, price_open, price_high, price_low, price_close, price_volume, '
        'row_num from %I.%I where scrip = $1 and trading_date < $2 '
        'order by trading_date desc limit $3',
        table_schema, table_name
    ) using wanted_scrip, before, wanted_rows;
end
$fn$
    {%- endset -%}
    {{ return([lookback]) }}
{% endmacro %}
