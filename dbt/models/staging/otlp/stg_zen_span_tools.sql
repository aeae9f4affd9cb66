-- One row per (Zen instance, tool): zen.tools.invocations.<tool> / zen.tools.tokens.<tool>.
{{ explode_zen_tools(ref('stg_zen_spans'), ['instance_id', 'event_date', 'started_at', 'command_hash', 'command_type']) }}
