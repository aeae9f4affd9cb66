{# The project as people name it: the last folder of a path (cwd). #}
{% macro project_from_path(column) -%}
    nullif(regexp_replace(regexp_replace({{ column }}, '[/\\]+$', ''), '^.*[/\\]', ''), '')
{%- endmacro %}
