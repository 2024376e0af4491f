"""The README's "Verify delivery" walkthrough, run verbatim against `make dev`: curl sends an error, a
transaction, a two-span trace and a check-in; logister-admin shows them in the inbox, the activity, the
performance view, the trace waterfall and the monitors."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.e2e.test_admin_cli import ROOT, Admin

pytestmark = pytest.mark.e2e

STREAM_TIMEOUT = 20


def walkthrough() -> tuple[str, str]:
    """The section's two shell blocks: what it sends, and what it reads."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Verify delivery", 1)[1].split("\n## ", 1)[0]
    sends, reads = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return sends, reads


def for_stack(block: str, api) -> str:
    return (
        block.replace("http://127.0.0.1:3000", api.url)
        .replace("<printed token>", api.token)
        .replace("<printed project id>", api.state["project_id"])
    )


def bash(script: str, admin: Admin) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=admin.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def delivered(output: str) -> bool:
    """Everything the reads show once the stream has caught up."""
    return all(
        (
            re.search(r"│\s+1 │ error\s+│ Card declined", output) is not None,  # the inbox: one group, one event
            "POST /checkout" in output,
            re.search(r"\n\s+INSERT orders\s", output) is not None,  # the child, indented under its parent
            "nightly" in output,
            re.search(r"POST /checkout.*\b1\b.*18[0-4]", output) is not None,  # count 1, p50 within 1% of 182
        )
    )


def test_the_readme_walkthrough_shows_every_signal_it_sends(local_api):
    sends, reads = walkthrough()
    with local_api() as api:
        admin = Admin(api)
        sent = bash(for_stack(sends, api), admin)
        assert sent.count('"status":"accepted"') == 5, sent

        variables = "".join(line + "\n" for line in sends.splitlines() if re.match(r"^[A-Z]+=", line))
        deadline = time.monotonic() + STREAM_TIMEOUT
        shown = bash(for_stack(variables + reads, api), admin)
        while not delivered(shown) and time.monotonic() < deadline:
            time.sleep(0.5)
            shown = bash(for_stack(variables + reads, api), admin)
        assert delivered(shown), shown
        for kind in ("error", "transaction", "span", "check_in"):
            assert kind in shown, (kind, shown)
