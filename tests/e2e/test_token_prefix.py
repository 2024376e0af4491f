"""Issue 15, parity point 4: `make dev` with LOGISTER_API_KEY_PREFIX mints its demo token, and
`logister-admin --local` its tokens, with that prefix; both authenticate over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_admin_cli import Admin, post

pytestmark = pytest.mark.e2e

EVENT = {"event": {"event_type": "log", "message": "prefixed"}}


def test_make_dev_and_logister_admin_mint_with_the_configured_prefix(local_api):
    with local_api(LOGISTER_API_KEY_PREFIX="dev") as api:
        assert re.fullmatch(r"dev_[0-9a-f]{48}", api.token)
        minted = Admin(api)("tokens", "create", api.state["project_id"])["token"]  # no prefix in its environment
        assert re.fullmatch(r"dev_[0-9a-f]{48}", minted)
        assert [post(api, "/api/v1/ingest_events", token, EVENT) for token in (api.token, minted)] == [201, 201]
