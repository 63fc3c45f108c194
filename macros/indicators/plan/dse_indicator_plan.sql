{% macro dse_indicator_plan(families) %}
    {#-
        What the `indicators` model computes, from the families (dse_indicator_families). Read
        in this order, one concern a file:
        1. dse_plan_validation.sql: the families must not clash (keys, level columns, states,
           inputs) and each must fit a daily run;
        2. dse_plan_state_layout.sql: every named slot gets its place in the stored state;
        3. dse_plan_merge.sql: the families merged into the dict below;
        4. dse_plan_sql_gen.sql: the SQL text (the recursive aggregate, the level CTEs, the
           document).
        A family is a dict with a `name` and any of: levels, outputs, first_rows, lookback,
        windows, recursive, states, functions (dse_plan_merge says what each holds).
        Returns:
        - levels: one dict of column -> expression per query level; a level may use the columns
          of the levels before it (a window over a window needs its own level);
        - outputs: output key -> expression (null means absent);
        - first_rows: output key -> the first row (1-based) of a scrip's series on which it is
          present;
        - states: (name, length) of every stored state, in the order they are concatenated
          into the `state` column: the shared recursive state first;
        - lookback: how many earlier rows a daily run must read for the windows;
        - short_levels, short_lookback, long_levels, long_windows: the same levels split for
          daily runs. Windows over the last short_lookback rows (at most 32) run as in a full
          refresh over that many look-back rows. Families that look back further (SMA 50 and
          200, the 252-row extremes) are sums, maxima and minima of trailing rows (`windows`:
          function, column, rows, result column); a daily run computes them over its new
          rows alone and adds what the look-back rows contribute, so no window runs over
          all the look-back rows.
        - functions: the DDL of the families' functions and of the recursive aggregate;
        - layouts: the comment of the `state` and `features` columns, which tell how the
          stored values are laid out (a daily run checks them before it continues).
    -#}
    {%- do dse_plan_validate(families) -%}
    {%- set plan = dse_plan_merge(families, dse_state_layout(families)) -%}
    {#- Prices adjusted for corporate actions are other inputs: a daily run must not continue
        a table built from the raw ones, or the other way round. -#}
    {%- if dse_adjusting() -%}
        {%- do plan.layouts.update({'state': plan.layouts.state ~ ' (prices adjusted)'}) -%}
    {%- endif -%}
    {{ return(plan) }}
{% endmacro %}
