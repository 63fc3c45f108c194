{% test dse_no_rows(model) %}
    {#- Returns every row of the model: used with severity warn to report rejected prices. -#}
    select * from {{ model }}
{% endtest %}
