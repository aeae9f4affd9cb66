{# The ticket a branch name carries: the first match of var('ticket_pattern') (git.ticket_pattern in the
   project config; default `[A-Z][A-Z0-9]+-[0-9]+`, e.g. feature/PAY-142-refunds -> PAY-142), else null. #}
{% macro ticket_from_branch(column) -%}
    nullif(regexp_extract({{ column }}, '{{ var("ticket_pattern", "[A-Z][A-Z0-9]+-[0-9]+") | replace("'", "''") }}', 0), '')
{%- endmacro %}
