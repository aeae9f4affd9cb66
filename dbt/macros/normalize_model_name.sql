{#
  One definition of "the same model", applied to price keys and to the model names requests carry.
  Three forms, matched in this order after the exact key (int_agent_requests_priced):
  - `regional`: lower-cased; provider paths (`bedrock/`, `converse/`, `vertex_ai/`, `openrouter/anthropic/`)
    dropped; Bedrock version suffixes (`-v1:0`) and Vertex `@date` suffixes dropped; the region or
    cross-region prefix (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `global.`) kept, since regional endpoints
    are priced apart (about 10 % above the base model).
  - normalized (default): the regional form with the region and maker prefix (`anthropic.`, `openai.`,
    ...) dropped and dots in version numbers written as dashes (`gpt-5.1-codex` = `gpt-5-1-codex`).
  - `strip_date=true`: the normalized form without a trailing date (`-YYYYMMDD`, `-YYYY-MM-DD`): the
    last-resort family match.
#}
{% macro normalize_model_name(column, strip_date=false, regional=false) -%}
    {%- set base -%}
    regexp_replace(regexp_replace(regexp_replace(
        lower({{ column }}),
        '^.*/', ''),
        '-v[0-9]+(:[0-9]+)?$', ''),
        '@.*$', '')
    {%- endset -%}
    {%- set name -%}
    replace(regexp_replace({{ base }},
        '^((us|eu|apac|au|jp|global|us-gov)\.)?(anthropic|openai|meta|amazon|mistral|cohere)\.', ''), '.', '-')
    {%- endset -%}
    {%- if regional -%}{{ base }}
    {%- elif strip_date -%}regexp_replace({{ name }}, '-([0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2})$', '')
    {%- else -%}{{ name }}{%- endif -%}
{%- endmacro %}
