"""Agent Analytics: a local-first analytics warehouse for AI coding assistants."""
