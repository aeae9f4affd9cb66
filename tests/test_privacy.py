from __future__ import annotations

import polars as pl

from analytics_assets.privacy import hash_identities, keyed_hash, redact


def test_keyed_hash_depends_on_the_salt_and_is_stable():
    assert keyed_hash("ada@example.com", b"a") == keyed_hash("ada@example.com", b"a")
    assert keyed_hash("ada@example.com", b"a") != keyed_hash("ada@example.com", b"b")


def test_hash_identities_keeps_nulls_and_groups():
    frame = pl.DataFrame({"user_email": ["a@x.io", None, "a@x.io", "b@x.io"]})
    out = hash_identities(frame, ("user_email", "absent"), b"k")["user_email"].to_list()
    assert out[1] is None and out[0] == out[2] != out[3] and "@" not in out[0]


def test_redaction():
    text = ("token=abc123 failed for bob@corp.example.com at /home/bob/src/app "
            "via api.internal.corp with sk-ant-api03-XYZXYZXYZXYZ and ghp_abcdefghijklmnopqrstuvwxyz123456")
    out = pl.DataFrame({"t": [text]}).select(redact(pl.col("t")))["t"][0]
    for secret in ("abc123", "bob@", "/home/bob", "api.internal.corp", "sk-ant", "ghp_"):
        assert secret not in out, (secret, out)
