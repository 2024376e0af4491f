"""Logister's own Postman collection, run with newman against the local API: every request 2xx."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "docs" / "logister-api.postman_collection.json"
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"

pytestmark = pytest.mark.e2e


def test_every_request_of_the_collection_is_accepted(local_api, tmp_path):
    assert COLLECTION.is_file(), f"Logister's collection is expected in docs/: {COLLECTION}"
    report = tmp_path / "newman.json"
    with local_api() as api:
        subprocess.run(
            [
                str(NEWMAN),
                "run",
                str(COLLECTION),
                "--env-var",
                f"base_url={api.url}",
                "--env-var",
                f"api_key={api.token}",
                "--reporters",
                "json",
                "--reporter-json-export",
                str(report),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    executions = json.loads(report.read_text())["run"]["executions"]
    answers = {execution["item"]["name"]: execution["response"]["code"] for execution in executions}
    assert len(answers) == 10
    assert all(200 <= code < 300 for code in answers.values()), answers
