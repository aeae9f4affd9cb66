from __future__ import annotations

import pytest

from analytics_assets.privacy import keyed_hash
from analytics_assets.project_config import ConfigError, ProjectConfig, identity_rows, load
from analytics_assets.transcripts.load import claude_roots


def test_missing_file_means_defaults(tmp_path):
    assert load(tmp_path / "nope.yaml") == ProjectConfig()


def test_developers_and_roots(tmp_path):
    (tmp_path / "extra" / "projects").mkdir(parents=True)
    path = tmp_path / "analytics.yaml"
    path.write_text(
        "transcripts:\n  include_home: false\n  claude_roots: [extra]\n"
        "developers:\n  - name: Ada\n    team: platform\n    machines: [ada-laptop]\n    emails: [Ada@Example.com]\n"
    )
    config = load(path)
    assert config.developers[0].emails == ("ada@example.com",)
    assert claude_roots(tmp_path / "landing", config) == [tmp_path / "extra" / "projects"]
    rows = identity_rows(config, b"k")
    email = rows.filter(rows["identity_kind"] == "email")["identity"][0]
    assert email == keyed_hash("ada@example.com", b"k")  # what the OTLP ingest stores for this email
    assert rows["developer_key"].n_unique() == 1 and rows["developer_name"].null_count() == rows.height


@pytest.mark.parametrize("text,fragment", [
    ("developers: [{team: x}]", "needs a name"),
    ("developers:\n  - name: A\n    machines: x\n", "machines must be a list"),
    ("developers:\n  - {name: A, machines: [m]}\n  - {name: B, machines: [m]}\n", "two developers"),
    ("[1, 2", "not valid YAML"),
])
def test_bad_config_is_a_clear_error(tmp_path, text, fragment):
    path = tmp_path / "analytics.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        identity_rows(load(path), b"k")
