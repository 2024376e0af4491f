"""Deployments indexed from event telemetry, after acceptance (Logister's "deployment_index" delivery).

An accepted event whose context names a release, an owner/repository and a commit sha carries that
deployment in its item (storage/deployments_table.event_attributes); here it is recorded with source
"telemetry", merged into the API's record of the same (repository, environment, release) if any.
A batch's events naming one deployment are one unit: only the last accepted is written (the others
would be overwritten by it), conditional on nothing accepted later being recorded, so a redelivery,
whole or in part, writes nothing new and rolls nothing back.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from logister_common.projections.units import PartResult, RecordKey
from logister_common.runtime.clock import utc_now
from logister_common.storage import deployments_table
from logister_common.storage.deployments_table import EVENT_ATTRIBUTE


def index_deployments(items: list[dict[str, Any]]) -> PartResult:
    """Record the deployments these stored event items (plain values) carry."""
    result = PartResult()
    units: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        indexed = item[EVENT_ATTRIBUTE]
        try:
            named = deployments_table.deployment_id(
                item["project_id"], indexed["repository"], indexed["environment"], indexed["release"]
            )
        except (KeyError, TypeError) as error:  # the image is at fault: it stays so
            result.reject([(item["project_id"], item["uuid"])], error)
            continue
        units.setdefault((item["project_id"], named), []).append(item)
    now = utc_now()
    for (project_id, _), unit in units.items():
        covered: list[RecordKey] = [(project_id, item["uuid"]) for item in unit]
        latest = max(unit, key=_accepted)
        write = partial(
            deployments_table.record_telemetry,
            project_id,
            latest[EVENT_ATTRIBUTE],
            _accepted(latest),
            latest["uuid"],
            now,
        )
        failed = result.attempt(covered, write)
        if failed is not None:
            result.reject(covered, failed)
    return result


def _accepted(item: dict[str, Any]) -> str:
    """The order of acceptance: received_at (ISO, fixed width), then the uuid for the same microsecond."""
    return f"{item['received_at']}#{item['uuid']}"
