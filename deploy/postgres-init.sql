-- The lake's catalog beside Dagster's database (compose makes `dagster` itself)
CREATE DATABASE analytics OWNER analytics;
