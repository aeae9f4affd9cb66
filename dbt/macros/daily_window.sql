{#
  The daily-partitioned marts (tag 'daily') are incremental by day: a run rebuilds exactly the days
  [min_date, max_date) that Dagster passes from the partition window (`--vars`), and leaves every other
  day as it was. Without vars (a plain `dbt build`) the window is every day.

  Days listed in raw.purged_days (retention purged some of their raw rows) are never rebuilt: rebuilding
  them would erase the aggregates kept for them. They stay exactly as they were built.
#}
{% macro in_daily_window(column) -%}
    ({{ column }} >= cast('{{ var("min_date", "0001-01-01") }}' as date)
     and {{ column }} < cast('{{ var("max_date", "9999-12-31") }}' as date)
     and {{ column }} not in (select day from raw.purged_days))
{%- endmacro %}

{# pre_hook of the daily marts: empty the window before it is inserted again (a day that lost all its
   rows must become empty too, which delete+insert on the new rows' keys would not do). #}
{% macro delete_daily_window(column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_daily_window(column) }}
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}
