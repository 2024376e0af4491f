"""Monitor alerts, published to the alerts SNS topic."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ParamValidationError

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

# SNS's answers to a message it will refuse however often it is sent; anything else may pass on a retry.
_REFUSED = frozenset({"InvalidParameter", "InvalidParameterValue"})


class NotPublished(Exception):
    """Certainly not published (SNS refused the request, or was never reached): a retry may publish it."""


class Undeliverable(NotPublished):
    """SNS refuses this message for good: retrying cannot publish it."""


def publish(subject: str, message: dict[str, Any], kind: str, project_id: str) -> None:
    """One message per transition, with `kind` and `project_id` as message attributes (subscription
    filter policies can select one project's alerts). Raises NotPublished when nothing went out
    (Undeliverable when nothing ever will); any other error leaves it unknown whether SNS published."""
    try:
        clients.sns().publish(
            TopicArn=get_settings().alert_topic_arn,
            Subject=subject,
            Message=json.dumps(message, separators=(",", ":")),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": kind},
                "project_id": {"DataType": "String", "StringValue": project_id},
            },
        )
    except ParamValidationError as error:
        raise Undeliverable(str(error)) from error
    except ClientError as error:
        if error.response["Error"]["Code"] in _REFUSED:
            raise Undeliverable(str(error)) from error
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) < 500:  # throttled, forbidden
            raise NotPublished(str(error)) from error
        raise  # a server error may follow a publish
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise NotPublished(str(error)) from error
