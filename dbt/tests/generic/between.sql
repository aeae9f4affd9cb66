{% test between(model, column_name, min_value, max_value) %}
-- Rows whose value lies outside [min_value, max_value] (nulls pass: a rate over no events is null).
select * from {{ model }}
where {{ column_name }} is not null and ({{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }})
{% endtest %}
