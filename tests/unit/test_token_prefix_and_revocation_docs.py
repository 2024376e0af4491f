"""Issue 15, parity points 4 and 6: the token prefix as configured (template, logister-admin, make dev)
and the token cache's revocation latency in the README's operator table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from admin import targets
from local.template import parameter_values
from logister_common.admission.tokens import (
    DEFAULT_TOKEN_PREFIX,
    TOKEN_PREFIX_PATTERN,
    InvalidTokenPrefix,
    generate_token,
    token_prefix,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_prefix_is_logisters_rule_with_header_safe_characters():
    assert token_prefix("") == token_prefix("  ") == DEFAULT_TOKEN_PREFIX == "logister"
    assert token_prefix(" acme-prod_1 ") == "acme-prod_1"
    for invalid in ("with space", "a/b", "é", "x" * 65):
        with pytest.raises(InvalidTokenPrefix):
            token_prefix(invalid)
    assert re.fullmatch(r"acme_[0-9a-f]{48}", generate_token("acme"))


def test_the_template_parameter_matches_the_code_and_reaches_make_dev(template):
    parameter = template["Parameters"]["ApiKeyPrefix"]
    assert parameter["Default"] == DEFAULT_TOKEN_PREFIX
    assert parameter["AllowedPattern"] == TOKEN_PREFIX_PATTERN.pattern
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["LOGISTER_API_KEY_PREFIX"] == {"Ref": "ApiKeyPrefix"}
    # make dev: exporting the variable sets the parameter, whose value the demo token is minted with.
    assert parameter_values(template, {"LOGISTER_API_KEY_PREFIX": "dev"})["ApiKeyPrefix"] == "dev"


def test_logister_admin_takes_the_prefix_from_its_target_unless_its_environment_sets_one(tmp_path):
    assert targets.PARAMETER_VARIABLES["ApiKeyPrefix"] == "LOGISTER_API_KEY_PREFIX"
    path = tmp_path / "state.json"
    state = {"dynamodb_endpoint": "http://127.0.0.1:8123", "env": {"LOGISTER_API_KEY_PREFIX": "dev"}}
    path.write_text(json.dumps(state))
    environ = {"LOGISTER_LOCAL_STATE_FILE": str(path)}
    assert targets.choose(True, None, None, environ).environment["LOGISTER_API_KEY_PREFIX"] == "dev"
    for blank in ("", " "):
        chosen = targets.choose(True, None, None, environ | {"LOGISTER_API_KEY_PREFIX": blank})
        assert chosen.environment["LOGISTER_API_KEY_PREFIX"] == "dev"
    chosen = targets.choose(True, None, None, environ | {"LOGISTER_API_KEY_PREFIX": "ci"})
    assert chosen.environment["LOGISTER_API_KEY_PREFIX"] == "ci"


def operator_row(command: str) -> str:
    section = README.read_text().split("## Operating it: `logister-admin`", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and command in line]
    assert len(rows) == 1, (command, rows)
    return rows[0]


@pytest.mark.parametrize("command", ["`revoke TOKEN_ID`", "`archive ID`"])
def test_the_operator_table_says_how_long_a_revoked_token_may_still_work(template, command):
    cache = template["Parameters"]["TokenCacheSeconds"]
    row = operator_row(command)
    assert "`TokenCacheSeconds`" in row
    assert f"default {cache['Default']} s" in row
