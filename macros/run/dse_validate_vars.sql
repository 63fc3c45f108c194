{% macro dse_validate_vars() %}
    {#-
        Runs first (on-run-start): a bad var stops the run before anything is written.
        Returns no SQL; it only raises.
    -#}
    {%- if var('run_date') -%}{%- do dse_date_literal(var('run_date'), 'run_date') -%}{%- endif -%}
    {%- if var('recalc_since') -%}
        {%- do dse_date_literal(var('recalc_since'), 'recalc_since') -%}
    {%- endif -%}
    {%- do dse_key_sets() -%}
    {%- do dse_require_actions_table() -%}
    {%- set scrips = dse_recalc_scrips() -%}
    {%- if scrips and not var('recalc_since') -%}
        {{ exceptions.raise_compiler_error(
            "var recalc_scrips needs recalc_since too, e.g. "
            ~ "--vars '{recalc_since: \"2024-01-01\", recalc_scrips: [BATBC]}'") }}
    {%- endif -%}
    {%- if scrips and execute -%}
        {%- set known = run_query(
            "select distinct " ~ adapter.quote(var('col_scrip')) ~ "::text from "
            ~ source('dse', 'daily_prices') ~ " where " ~ adapter.quote(var('col_scrip'))
            ~ "::text = any(" ~ dse_text_array(scrips) ~ ")") -%}
        {%- set unknown = scrips | reject('in', known.columns[0].values()) | list -%}
        {%- if unknown -%}
            {{ exceptions.raise_compiler_error(
                "var recalc_scrips names scrips the source table does not have: "
                ~ unknown | join(', ')) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}


{% macro dse_recalc_scrips() %}
    {#- var recalc_scrips as a list of scrip codes; a single string is taken as one scrip. -#}
    {%- set raw = var('recalc_scrips') -%}
    {%- set scrips = [raw] if raw is string and raw else (raw or []) -%}
    {%- for scrip in scrips -%}
        {%- if scrip is not string or not modules.re.fullmatch('[A-Za-z0-9&._-]{1,40}', scrip) -%}
            {{ exceptions.raise_compiler_error(
                "var recalc_scrips must list scrip codes (letters, digits, & . _ -), got "
                ~ scrip | string) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(scrips) }}
{% endmacro %}


{% macro dse_text_array(values) %}
    {#- A text[] literal; values are checked codes, quotes are still doubled as a second guard. -#}
    array[{%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}]::text[]
{%- endmacro %}
