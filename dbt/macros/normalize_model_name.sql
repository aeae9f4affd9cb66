{#
  One definition of "the same model", applied to price keys and to the model names requests carry:
  lower-cased; provider paths (`bedrock/`, `vertex_ai/`, `openrouter/anthropic/`) dropped; region and
  provider prefixes (`us.`, `eu.`, `global.`, `anthropic.`) dropped; Bedrock version suffixes
  (`-v1:0`) and Vertex `@date` suffixes dropped.
  `strip_date=true` also drops a trailing `-YYYYMMDD`, the last-resort family match.
#}
{% macro normalize_model_name(column, strip_date=false) -%}
    {%- set name -%}
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower({{ column }}),
        '^.*/', ''),
        '^((us|eu|apac|au|jp|global|us-gov)\.)?(anthropic|openai|meta|amazon|mistral|cohere)\.', ''),
        '-v[0-9]+(:[0-9]+)?$', ''),
        '@.*$', '')
    {%- endset -%}
    {%- if strip_date -%}regexp_replace({{ name }}, '-[0-9]{8}$', ''){%- else -%}{{ name }}{%- endif -%}
{%- endmacro %}
