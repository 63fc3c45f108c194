{% macro dse_blocked_window(function, column, rows, name, block_size=none) %}
    {#-
        `function`(`column`) over the last `rows` rows, for sum, max and min, as two levels
        of columns. A sliding frame without an inverse transition costs `rows` steps per row
        (200 for SMA 200, 252 for MAX 252): instead aggregate blocks of b <= 20 rows and
        combine rows / b of them with lag(), which costs about b + rows / b. Max and min are
        exact either way; a sum only changes its order of additions (ulp level).
        b is the largest divisor of `rows` up to 20, or `block_size`: a block the size of
        another family's window shares its window node.
        Returns [level-1 columns, level-2 columns]; the result is the level-2 column `name`.
    -#}
    {%- set block = namespace(size=1) -%}
    {%- for b in range(1, 21) if rows % b == 0 -%}{%- set block.size = b -%}{%- endfor -%}
    {%- if block_size -%}
        {%- if rows % block_size != 0 -%}
            {{ exceptions.raise_compiler_error(
                "dse_blocked_window: block_size must divide rows (" ~ rows ~ ")") }}
        {%- endif -%}
        {%- set block.size = block_size -%}
    {%- endif -%}
    {%- set base = name ~ '__block' -%}
    {%- set order = 'over (partition by scrip order by trading_date)' -%}
    {#- A sum counts blocks before a series' first row as 0: a daily run sums its new rows
        alone (max and min skip the nulls anyway). -#}
    {%- set before_first = ', 0::float8' if function == 'sum' else '' -%}
    {%- set parts = [base] -%}
    {%- for k in range(1, rows // block.size) -%}
        {%- do parts.append('lag(' ~ base ~ ', ' ~ k * block.size ~ before_first ~ ') ' ~ order) -%}
    {%- endfor -%}
    {%- if function == 'sum' -%}
        {%- set combined = parts | join(' + ') -%}
    {%- elif function in ('max', 'min') -%}
        {%- set combined = ('greatest(' if function == 'max' else 'least(') ~ parts | join(', ') ~ ')' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("dse_blocked_window: function must be sum, max or min") }}
    {%- endif -%}
    {{ return([
        {base: function ~ '(' ~ column ~ ') ' ~ dse_trailing(block.size)},
        {name: combined},
    ]) }}
{% endmacro %}
