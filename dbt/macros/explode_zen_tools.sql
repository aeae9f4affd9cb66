{#
  One row per (span, tool) from the list-of-structs column the ingest writes. Unnesting is the
  one place the SQL differs between warehouses, so it lives in a dispatched macro: add a
  `<adapter>__explode_zen_tools` (e.g. BigQuery's UNNEST, Snowflake's FLATTEN) to move.
#}
{% macro explode_zen_tools(relation, columns) %}
    {{ return(adapter.dispatch('explode_zen_tools')(relation, columns)) }}
{% endmacro %}

{% macro default__explode_zen_tools(relation, columns) %}
    select {% for c in columns %}{{ c }}, {% endfor %}
           tool.tool as tool_name, tool.invocations as invocations, tool.tokens as tokens
    from (
        select {% for c in columns %}{{ c }}, {% endfor %} unnest(zen_tools) as tool
        from {{ relation }}
        where zen_tools is not null
    ) exploded
{% endmacro %}
