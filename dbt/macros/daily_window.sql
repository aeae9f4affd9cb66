{#
  The daily-partitioned marts (tag 'daily') are incremental by day: a run rebuilds exactly the days
  [min_date, max_date) of the partition window, and leaves every other day as it was. Dagster passes the
  window as ANALYTICS_DAILY_MIN_DATE / ANALYTICS_DAILY_MAX_DATE (changing vars would make dbt re-parse the
  whole project every run); `--vars '{"min_date": ..., "max_date": ...}'` works too. Without either (a
  plain `dbt build`) the window is every day.

  Days listed in raw.purged_days (retention purged some of their raw rows) are never rebuilt: rebuilding
  them would erase the aggregates kept for them. They stay exactly as they were built.
#}
{% macro in_daily_window(column) -%}
    {%- set days = env_var("ANALYTICS_DAILY_DAYS", "") -%}
    {%- if days -%}
    {#- A refresh run rebuilds the days its ingest touched (a comma-separated list of ISO dates). -#}
    ({{ column }} in ({% for day in days.split(",") %}cast('{{ day }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
     and {{ column }} not in (select day from {{ target.database }}.raw.purged_days))
    {%- else -%}
    ({{ column }} >= cast('{{ var("min_date", env_var("ANALYTICS_DAILY_MIN_DATE", "0001-01-01")) }}' as date)
     and {{ column }} < cast('{{ var("max_date", env_var("ANALYTICS_DAILY_MAX_DATE", "9999-12-31")) }}' as date)
     and {{ column }} not in (select day from {{ target.database }}.raw.purged_days))
    {%- endif -%}
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
