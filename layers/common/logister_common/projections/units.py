"""Units of work a stream batch is written in (a listing item, a group transaction), and what came of them.

Each unit's key or token derives from the records it covers, so a redelivered batch writing the
same unit again writes the same item, or repeats the same transaction token, instead of a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from logister_common.storage.write_failures import failed_for_good, reason

RecordKey = tuple[str, str]  # (project id, uuid): one stored event, check-in or span claim


def content_token(covered: list[RecordKey]) -> str:
    """36 hex digits (a transaction token's maximum) naming exactly these records, in any order."""
    digest = hashlib.sha256()
    for project_id, uuid in sorted(covered):
        digest.update(f"{project_id}\0{uuid}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:36]


@dataclass(slots=True)
class PartResult:
    """What one part of the consumer (listings, group counts) did with a batch's records."""

    written: list[list[RecordKey]] = field(default_factory=list)  # per unit written, the records it covers
    pending: list[RecordKey] = field(default_factory=list)  # failed for now: the stream redelivers them
    rejected: list[tuple[RecordKey, str]] = field(default_factory=list)  # failed for good, and why

    def attempt(self, covered: list[RecordKey], write: Callable[[], object]) -> Exception | None:
        """Write one unit; returns the error when it failed for good, for the caller to reject or split."""
        try:
            write()
        except Exception as error:
            if failed_for_good(error):
                return error
            self.pending += covered
            return None
        self.written.append(covered)
        return None

    def failed(self, covered: list[RecordKey], error: Exception) -> None:
        """A unit that failed outside attempt(): rejected when it failed for good, else left to the stream."""
        if failed_for_good(error):
            self.reject(covered, error)
        else:
            self.pending += covered

    def reject(self, covered: list[RecordKey], error: Exception) -> None:
        self.rejected += [(key, reason(error)) for key in covered]
