"""POST /api/v1/check_ins: one check-in, from request to stored event and updated monitor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from logister_common.admission.pipeline import admit, answering
from logister_common.contract.check_in_fields import check_in_event, check_in_fields
from logister_common.edge.answers import Answer
from logister_common.edge.request import PublicRequest
from logister_common.endpoints.check_in_writes import store_check_in
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings

if TYPE_CHECKING:  # annotations only: the request path never imports the declarations
    from logister_common.edge.response_bodies import CheckInAccepted, CheckInDuplicate

ENDPOINT = "check_in"


def check_in(request: PublicRequest) -> Answer:
    caller = admit(request, ENDPOINT, wire_cap=True)
    with answering(caller):
        fields = check_in_fields(request.json_document())
        received_at = utc_now()
        event, check_in = check_in_event(
            fields, default_environment=get_settings().default_environment, now=received_at
        )
        result = store_check_in(caller.project_id, event, check_in, received_at)
    accepted: CheckInAccepted = {"id": result.uuid, "status": "accepted"}
    if check_in.run_id is not None:
        accepted["check_in_id"] = check_in.run_id
    if result.created:
        return Answer(201, accepted, caller.rate_limit_headers)
    duplicate: CheckInDuplicate = {**accepted, "duplicate": True}
    return Answer(200, duplicate, caller.rate_limit_headers)
