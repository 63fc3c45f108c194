{#-
    Change detection without reading the history twice. A daily run must find every new,
    corrected, late or deleted price row, and the source has no change log. So each run sums a
    hash of every source row per scrip and 128-day bucket of dates (one scan, no sort), and
    compares these digests with the ones stored by the run before.
    Only the buckets whose digest differs are cleaned and compared row by row. The stored
    digests are replaced in the same transaction as the indicators, so the two never disagree.
    Rows without a scrip or a date belong to no series: they share one bucket of their own,
    (scrip '', bucket -1), which only price_rejects reads. Each stored digest keeps when a run
    last stored it (checked_at), and a bucket that is gone keeps a null digest: the daily
    tests check the buckets of the last run, and price_rejects follows this change detection
    by comparing its own copy of the digests with these.
-#}

{% macro dse_source_digests_relation() %}
    {#- The digests the last successful run of the model saw, beside the model's table. -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__source_digests'
    )) }}
{% endmacro %}


{% macro dse_date_bucket(date_column) %}
    {#-
        Buckets of 128 days counted from 0001-01-01: an integer, cheaper than a month. Wider
        buckets mean fewer digests to compare (a quarter of those of 32-day buckets) for at most 128 days of one scrip to compare row by row.
    -#}
    ({{ date_column }} - date '0001-01-01') / 128
{%- endmacro %}


{% macro dse_keyless_bucket() %}
    {#- The bucket of the rows without a scrip or a date (scrip ''): before every date bucket. -#}
    -1
{%- endmacro %}


{% macro dse_bucket_start(bucket) %}
    {#- The first date of a bucket. -#}
    (date '0001-01-01' + ({{ bucket }}) * 128)
{%- endmacro %}


{% macro dse_row_hash(trading_date) %}
    {#-
        A 64-bit hash of one source row: a chain of hash calls, each value's hash seeding the
        next one's, the first seed being the date and whether the row lies in the future
        (rejected until that day comes). The calls are strict, so a row with a null value
        takes the hash of all its values as one record instead. The chain is cheaper than the
        record's hash for every row (docs/benchmarks.md has the figures).
    -#}
    {%- set values = [] -%}
    {%- for name in ['col_open', 'col_high', 'col_low', 'col_close'] -%}
        {%- do values.append(adapter.quote(var(name)) ~ '::numeric') -%}
    {%- endfor -%}
    {%- set volume = adapter.quote(var('col_volume')) ~ '::bigint' -%}
    {%- set is_future = '(' ~ trading_date ~ ' > ' ~ dse_run_date() ~ ' + 1)' -%}
    {%- set chain = namespace(text='hashint8extended(' ~ volume ~ ', hashint8extended(('
        ~ trading_date ~ " - date '0001-01-01')::bigint * 2 + " ~ is_future ~ '::integer, 0))') -%}
    {%- for value in values -%}
        {%- set chain.text = 'hash_numeric_extended(' ~ value ~ ', ' ~ chain.text ~ ')' -%}
    {%- endfor -%}
    coalesce(
            {{ chain.text }},
            hash_record_extended(row({{ trading_date }}, {{ values | join(', ') }}, {{ volume }}, {{ is_future }}), 0)
        )
{%- endmacro %}


{% macro dse_snapshot_source_digests() %}
    {#-
        Pre-hook: the digests of the source as this run sees it, and those that differ from the
        stored ones, in temporary tables that the model reads and the post-hook stores. The run date is hashed in as whether a row lies in
        the future: such a row is rejected until that day comes, which changes its bucket.
        The stored table is created empty if it is missing: every bucket then differs, and the
        run compares all rows once, as a first run after an upgrade must.
    -#}
    {%- set stored = dse_source_digests_relation() -%}
    {%- set scrip = adapter.quote(var('col_scrip')) ~ '::text' -%}
    {%- set trading_date = adapter.quote(var('col_date')) ~ '::date' -%}
    drop table if exists dse_source_digests;
    -- Hashing every row is the one cost that grows with the history: let parallel workers
    -- share it (a partial hash aggregate each), then plan the rest with the usual costs.
    set local parallel_setup_cost = 0;
    set local parallel_tuple_cost = 0.0001;
    create temporary table dse_source_digests on commit drop as
    select
        coalesce({{ scrip }}, '') as scrip,
        case
            when {{ scrip }} is null or {{ trading_date }} is null then {{ dse_keyless_bucket() }}
            else {{ dse_date_bucket(trading_date) }}
        end as bucket,
        sum({{ dse_row_hash(trading_date) }}) as digest
    from {{ source('dse', 'daily_prices') }}
    group by 1, 2;
    reset parallel_setup_cost;
    reset parallel_tuple_cost;
    create table if not exists {{ stored }} (
        scrip text, bucket integer, digest numeric, checked_at timestamptz,
        primary key (scrip, bucket)
    );
    alter table {{ stored }} add column if not exists checked_at timestamptz;
    {{ dse_create_changed_buckets('dse_changed_buckets', 'dse_source_digests', stored) }}
    {{- dse_snapshot_action_digests() }}
{%- endmacro %}


{% macro dse_create_changed_buckets(name, now_seen, last_seen) %}
    {#-
        A temporary table `name` of the (scrip, bucket)s whose digest in `now_seen` differs
        from the one in `last_seen`, with the new digest (null: the bucket is gone).
    -#}
    drop table if exists {{ name }};
    create temporary table {{ name }} on commit drop as
    select
        coalesce(now_seen.scrip, last_seen.scrip) as scrip,
        coalesce(now_seen.bucket, last_seen.bucket) as bucket,
        now_seen.digest
    from {{ now_seen }} as now_seen
    full join {{ last_seen }} as last_seen
        on now_seen.scrip = last_seen.scrip and now_seen.bucket = last_seen.bucket
    where now_seen.digest is distinct from last_seen.digest;
{%- endmacro %}


{% macro dse_store_source_digests() %}
    {#-
        Post-hook: the stored digests become this run's. A full refresh replaces them all; a
        daily run only the buckets that changed, so a run without change writes nothing.
    -#}
    {%- set stored = dse_source_digests_relation() -%}
    {%- if is_incremental() -%}
    delete from {{ stored }} as old
    using dse_changed_buckets as changed
    where old.scrip = changed.scrip and old.bucket = changed.bucket;
    insert into {{ stored }} (scrip, bucket, digest, checked_at)
    select scrip, bucket, digest, now() from dse_changed_buckets;
    {%- else -%}
    truncate {{ stored }};
    insert into {{ stored }} (scrip, bucket, digest, checked_at)
    select scrip, bucket, digest, now() from dse_source_digests;
    analyze {{ stored }};
    {%- endif %}
    {{- dse_store_action_digests() }}
{%- endmacro %}
