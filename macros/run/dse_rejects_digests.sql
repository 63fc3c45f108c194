{#-
    price_rejects follows the indicators model's change detection. That model stores the
    digests of the source per scrip and bucket (indicators__source_digests, see
    dse_source_digests.sql); price_rejects keeps a copy of the ones it last cleaned
    (price_rejects__source_digests). The buckets where the two differ are the ones whose
    rejects may have changed: no second scan of the source.
-#}

{% macro dse_rejects_digests() %}
    {#- The indicators model's stored digests, or an empty set before that model ever ran. -#}
    {%- set digests = adapter.get_relation(this.database, this.schema, 'indicators__source_digests') -%}
    {{- return(digests or '(select null::text as scrip, null::integer as bucket, null::numeric as digest where false)') -}}
{% endmacro %}


{% macro dse_rejects_digests_copy() %}
    {#- The digests as price_rejects last cleaned them, beside its table. -#}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__source_digests'})) }}
{% endmacro %}


{% macro dse_rejects_changed_buckets() %}
    {#-
        Pre-hook: the buckets to clean again (all of them in a full refresh), in a temporary
        table, and on a daily run their old rejects deleted.
    -#}
    {%- set copy = dse_rejects_digests_copy() -%}
    create table if not exists {{ copy }} (
        scrip text, bucket integer, digest numeric, primary key (scrip, bucket)
    );
    {%- if not is_incremental() %}
    truncate {{ copy }};
    {%- endif %}
    {{ dse_create_changed_buckets('dse_rejects_changed_buckets', dse_rejects_digests(), copy) }}
    {%- if is_incremental() %}
    delete from {{ this }} as old
    using dse_rejects_changed_buckets as changed
    where old.scrip = changed.scrip and {{ dse_date_bucket('old.trading_date') }} = changed.bucket;
    delete from {{ this }} as old
    where
        (old.scrip is null or old.trading_date is null)
        and exists (select from dse_rejects_changed_buckets where bucket = {{ dse_keyless_bucket() }});
    {%- endif %}
{%- endmacro %}


{% macro dse_rejects_in_changed_buckets() %}
    {#-
        The `where` that keeps the source rows of the buckets to clean again. With no changed
        bucket, no scan (a one-time filter); then a date test most rows fail cheaply.
    -#}
    {%- set scrip = adapter.quote(var('col_scrip')) ~ '::text' -%}
    {%- set trading_date = adapter.quote(var('col_date')) ~ '::date' -%}
    {%- set keyless = dse_keyless_bucket() -%}
    {%- set where -%}
exists (select from dse_rejects_changed_buckets) and (
    (
        {{ trading_date }} >= (
            select {{ dse_bucket_start('min(bucket)') }} from dse_rejects_changed_buckets
            where bucket <> {{ keyless }}
        )
        and ({{ scrip }}, {{ dse_date_bucket(trading_date) }}) in (
            select scrip, bucket from dse_rejects_changed_buckets
        )
    )
    or (
        ({{ scrip }} is null or {{ trading_date }} is null)
        and exists (select from dse_rejects_changed_buckets where bucket = {{ keyless }})
    )
)
    {%- endset -%}
    {{ return(where) }}
{%- endmacro %}


{% macro dse_rejects_store_digests() %}
    {#- Post-hook: the copy of the changed buckets becomes what this run cleaned. -#}
    {%- set copy = dse_rejects_digests_copy() -%}
    delete from {{ copy }} as old
    using dse_rejects_changed_buckets as changed
    where old.scrip = changed.scrip and old.bucket = changed.bucket;
    insert into {{ copy }} (scrip, bucket, digest)
    select scrip, bucket, digest from dse_rejects_changed_buckets
    where digest is not null;
{%- endmacro %}
