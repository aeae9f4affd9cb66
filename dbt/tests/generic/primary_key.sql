{# The column is a key: every row has one and no two rows share it. One query and one check where `unique` and
   `not_null` were two: a refresh builds some 60 dbt nodes and each costs dbt ~0.1 s of its own work beside the
   query, so the pairs were a sixth of a refresh's dbt build (docs/benchmarks.md). #}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as n
from {{ model }}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
