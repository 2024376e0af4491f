"""StreamFailureQueue: where a stream consumer reports one record that retrying cannot fix, then skips it.

Lambda reports whole skipped batches there itself (after MaximumRetryAttempts); this is the same
queue, for a single record skipped at once, so one poison record never holds its shard nor replays
the records after it. The report says where the record is (its stream, sequence number and keys),
not what it holds: an image can be up to 400 KB, more than an SQS message, and stays readable in
the stream for 24 hours.
"""

from __future__ import annotations

import json
from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

# An exception's text can quote an attacker-sized value: the report keeps its start.
REASON_MAX_CHARS = 1_000
_LOCATION = ("Keys", "SequenceNumber", "ApproximateCreationDateTime")


def report(record: dict[str, Any], part: str, reason: str) -> None:
    """Report the stream record `part` (which consumer, or which of its jobs) skipped, and why.

    Raises when the queue cannot be reached: the caller then fails the record, and the stream retries it.
    """
    change = record.get("dynamodb") or {}
    body = {
        "part": part,
        "reason": reason[:REASON_MAX_CHARS],
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventSourceARN": record.get("eventSourceARN"),
        **{name: change[name] for name in _LOCATION if name in change},
    }
    clients.sqs().send_message(
        QueueUrl=get_settings().stream_failure_queue_url,
        MessageBody=json.dumps(body, separators=(",", ":"), default=str),
    )
