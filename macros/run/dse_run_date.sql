{% macro dse_run_date() %}
    {#- The date price rows are judged against: var run_date, or the database's current date. -#}
    {%- set run_date = var('run_date') -%}
    {%- if run_date -%}
        {{ dse_date_literal(run_date, 'run_date') }}
    {%- else -%}
        current_date
    {%- endif -%}
{% endmacro %}


{% macro dse_date_literal(value, var_name) %}
    {#- A checked date literal: anything but a real YYYY-MM-DD date stops the run before SQL sees it. -#}
    {%- set text = value | string -%}
    {%- set match = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', text) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a date written YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " is not a calendar date: '" ~ text ~ "'") }}
    {%- endif -%}
    date '{{ text }}'
{%- endmacro %}
