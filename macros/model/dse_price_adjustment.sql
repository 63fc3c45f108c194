{#-
    Back-adjustment for corporate actions (CONTRACT.md section 5), with var adjust_prices. The
    accepted rows of a scrip are multiplied (open, high, low, close) and divided (volume) by
    the product of the factors of its actions with an ex_date after the row's date: bonus
    1 / (1 + ratio / 100), split 1 / ratio, rights (P + ratio * S) / ((1 + ratio) * P), P the
    raw close of the scrip's last accepted row before ex_date (none: factor 1). The table
    keeps the adjusted prices and the factor (price_factor): raw = adjusted / factor.
    A daily run finds a new, changed or removed action by the digest of each scrip's actions
    (dse_snapshot_action_digests) and compares that scrip's whole history, as for prices.
-#}

{% macro dse_adjusting() %}
    {#- Whether this build back-adjusts the prices (var adjust_prices, true or false). -#}
    {%- set value = var('adjust_prices', false) -%}
    {%- if value not in (true, false) -%}
        {{ exceptions.raise_compiler_error(
            "var adjust_prices must be true or false, got " ~ value | string) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{% macro dse_actions_relation() %}
    {#- The corporate actions table (vars actions_schema, actions_table), or none if missing. -#}
    {{ return(adapter.get_relation(
        database=target.database, schema=var('actions_schema'), identifier=var('actions_table'))) }}
{% endmacro %}


{% macro dse_require_actions_table() %}
    {#- With adjust_prices, a missing actions table stops the run before anything is written. -#}
    {%- if execute and dse_adjusting() and dse_actions_relation() is none -%}
        {{ exceptions.raise_compiler_error(
            "var adjust_prices is true, but there is no table " ~ var('actions_schema') ~ "."
            ~ var('actions_table') ~ " of corporate actions (vars actions_schema, actions_table):"
            ~ " load one with `dse-indicators actions load FILE.csv`, or run without"
            ~ " adjust_prices") }}
    {%- endif -%}
{% endmacro %}


{% macro dse_action_steps_ctes() %}
    {#-
        CTEs rights_closes (P of each rights issue), action_factors (one factor per scrip and ex_date: the product of that day's
        actions) and action_steps (per scrip and ex_date, the factor of the rows from the
        ex_date before it up to the day before it: the product of the factors of this and
        every later ex_date). Each ends with a comma.
    -#}
-- P of each rights issue: the last accepted raw close before its ex_date. One pass over the
-- source rows of the scrips that have a rights issue, cleaned as the staging view cleans
-- them (all rows of those scrips); no pass at all without rights issues.
{%- set source_scrip = adapter.quote(var('col_scrip')) ~ '::text' %}
{%- set rights = "(select scrip::text from " ~ dse_actions_relation() ~ " where kind = 'rights')" %}
rights_closes as (

    select distinct on (rights.scrip, rights.ex_date)
        rights.scrip,
        rights.ex_date,
        staged.close
    from (
        select
            scrip::text as scrip,
            ex_date::date as ex_date
        from {{ dse_actions_relation() }}
        where kind = 'rights'
    ) as rights
    inner join (
        {{ dse_stage_prices(source('dse', 'daily_prices'), where='exists ' ~ rights
            ~ ' and ' ~ source_scrip ~ ' in ' ~ rights) | indent(8) }}
    ) as staged
        on rights.scrip = staged.scrip and staged.trading_date < rights.ex_date
    where staged.reject_reason is null
    order by rights.scrip asc, rights.ex_date asc, staged.trading_date desc

),

action_factors as (

    select
        actions.scrip,
        actions.ex_date,
        {{ dse_function('dse_product_v1') }}(case actions.kind
            when 'bonus' then 1 / (1 + actions.ratio::float8 / 100)
            when 'split' then 1 / actions.ratio::float8
            else coalesce(
                (last_close.close + actions.ratio::float8 * actions.price::float8)
                / ((1 + actions.ratio::float8) * last_close.close),
                1
            )
        end order by actions.kind) as factor
    from (
        select
            scrip::text as scrip,
            ex_date::date as ex_date,
            kind::text as kind,
            ratio,
            price
        from {{ dse_actions_relation() }}
    ) as actions
    left join rights_closes as last_close
        on
            actions.kind = 'rights'
            and actions.scrip = last_close.scrip
            and actions.ex_date = last_close.ex_date
    group by actions.scrip, actions.ex_date

),

action_steps as (

    select
        scrip,
        coalesce(lag(ex_date) over by_date, '-infinity') as valid_from,
        ex_date as valid_until,
        {{ dse_function('dse_product_v1') }}(factor) over (
            partition by scrip order by ex_date desc rows between unbounded preceding and current row
        ) as factor
    from action_factors
    window by_date as (partition by scrip order by ex_date)

),
{%- endmacro %}


{% macro dse_adjusted_columns(raw) %}
    {#- The select list of the accepted rows of relation `raw`, adjusted: prices, factor. -#}
    {%- if dse_adjusting() %}
        {{ raw }}.scrip,
        {{ raw }}.trading_date,
        {{ raw }}.open * coalesce(action_steps.factor, 1) as open,
        {{ raw }}.high * coalesce(action_steps.factor, 1) as high,
        {{ raw }}.low * coalesce(action_steps.factor, 1) as low,
        {{ raw }}.close * coalesce(action_steps.factor, 1) as close,
        {{ raw }}.volume / coalesce(action_steps.factor, 1) as volume,
        coalesce(action_steps.factor, 1) as factor
    {%- else %}
        {{ raw }}.scrip,
        {{ raw }}.trading_date,
        {{ raw }}.{{ dse_price_columns() | reject('equalto', 'factor') | join(', ' ~ raw ~ '.') }},
        1::float8 as factor
    {%- endif %}
{%- endmacro %}


{% macro dse_adjusted_join(raw) %}
    {#- The join that finds each accepted row's factor (nothing when not adjusting). -#}
    {%- if dse_adjusting() %}
    left join action_steps
        on
            {{ raw }}.scrip = action_steps.scrip
            and {{ raw }}.trading_date >= action_steps.valid_from
            and {{ raw }}.trading_date < action_steps.valid_until
    {%- endif %}
{%- endmacro %}


{% macro dse_product_function() %}
    {#- The product of float8 values, in the aggregate's order (a cumulative factor). -#}
    {{ return('create or replace aggregate ' ~ dse_function('dse_product_v1')
        ~ '(float8) (sfunc = float8mul, stype = float8, initcond = \'1\', parallel = safe)') }}
{% endmacro %}


{% macro dse_action_digests_relation() %}
    {#- The digests of each scrip's actions as the last run saw them, beside the model. -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__action_digests'
    )) }}
{% endmacro %}


{% macro dse_snapshot_action_digests() %}
    {#-
        Pre-hook part, with adjust_prices: a digest of every scrip's actions and, in a
        temporary table, the scrips whose digest differs from the stored one (new, changed or
        removed actions): a daily run compares their whole history (action_scopes).
    -#}
    {%- if dse_adjusting() %}
    {%- set stored = dse_action_digests_relation() %}
    create table if not exists {{ stored }} (
        scrip text primary key, digest numeric, checked_at timestamptz
    );
    drop table if exists dse_action_digests;
    create temporary table dse_action_digests on commit drop as
    select
        scrip::text as scrip,
        sum(hashtextextended(concat_ws('|', ex_date, kind, ratio, price), 0)::numeric) as digest
    from {{ dse_actions_relation() }}
    group by 1;
    drop table if exists dse_changed_action_scrips;
    create temporary table dse_changed_action_scrips on commit drop as
    select
        coalesce(now_seen.scrip, last_seen.scrip) as scrip,
        now_seen.digest
    from dse_action_digests as now_seen
    full join {{ stored }} as last_seen on now_seen.scrip = last_seen.scrip
    where now_seen.digest is distinct from last_seen.digest;
    {%- endif %}
{%- endmacro %}


{% macro dse_store_action_digests() %}
    {#- Post-hook part: the stored action digests become this run's. -#}
    {%- if dse_adjusting() %}
    {%- set stored = dse_action_digests_relation() %}
    {%- if is_incremental() %}
    delete from {{ stored }} as old
    using dse_changed_action_scrips as changed
    where old.scrip = changed.scrip;
    insert into {{ stored }} (scrip, digest, checked_at)
    select scrip, digest, now() from dse_changed_action_scrips where digest is not null;
    {%- else %}
    truncate {{ stored }};
    insert into {{ stored }} (scrip, digest, checked_at)
    select scrip, digest, now() from dse_action_digests;
    {%- endif %}
    {%- endif %}
{%- endmacro %}
