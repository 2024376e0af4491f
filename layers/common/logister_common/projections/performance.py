"""Transaction aggregates per (project, environment, hour of arrival, name), from the events stream.

Each aggregate counts transactions and errors, sums durations, and keeps a DDSketch (DataDog's
`ddsketch`: 1% relative accuracy, collapsing its lowest bins past BIN_LIMIT so an item stays a few KB)
of the positive durations: Logister's percentiles leave out zero durations. Sketches merge exactly,
so the CLI's percentiles over any hours cost no scan of events.

A stream batch's transactions of one aggregate are one unit, named by a token of its records. An
aggregate is read, merged and written back conditional on its version (concurrent shards retry, as
monitors do); it keeps the tokens of its last APPLIED_TOKENS units, so a unit the stream redelivers
is found there and not counted twice. That holds while fewer than APPLIED_TOKENS other units reach
the same aggregate between a unit's write and its redelivery: a redelivery follows within seconds on
the same shard, and the other shards' batches of one aggregate are bounded by the shard count.

A project cannot make items without bound: an hour admits MAX_ENVIRONMENTS environments per project
and MAX_NAMES names per project and environment (directories of their digests, written with the same
read-modify-write); later environments are folded into OTHER_ENVIRONMENT and later names into one
`<other>` aggregate, counted in the `performance_environments_folded` and `performance_names_folded`
metrics.
Hours are of arrival (not the client's occurred_at), so a project cannot spread names over the past.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.store import CollapsingLowestDenseStore

from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.transaction_fields import clamp_duration, cut_name
from logister_common.monitors.updates import back_off
from logister_common.projections.units import PartResult, RecordKey, content_token
from logister_common.runtime.telemetry import count, metrics
from logister_common.storage import performance_table
from logister_common.storage.events_table import TRANSACTION
from logister_common.storage.performance_table import Aggregate

RELATIVE_ACCURACY = 0.01
BIN_LIMIT = 2048
MAX_NAMES = 500
MAX_ENVIRONMENTS = 20
APPLIED_TOKENS = 32
# Reads and conditional writes of one item before its records are left to the stream's retry.
CHANGE_ATTEMPTS = 16
UNNAMED = "(unnamed transaction)"  # Logister's label for a transaction without a name
OTHER = "<other>"
OTHER_ENVIRONMENT = "<other>"


class Sketch:
    """A DDSketch of durations, stored as its bins (no protobuf): zlib'd JSON of the first bin's key
    and the counts from there."""

    def __init__(self, store: CollapsingLowestDenseStore | None = None) -> None:
        self._mapping = LogarithmicMapping(RELATIVE_ACCURACY)
        self._store = store or CollapsingLowestDenseStore(BIN_LIMIT)  # merges and copies change it in place
        self._sketch = BaseDDSketch(self._mapping, self._store, CollapsingLowestDenseStore(BIN_LIMIT), 0.0)

    @property
    def count(self) -> int:
        return int(self._sketch.count)  # whole: every weight added is a whole count

    def add(self, duration_ms: float) -> None:
        if duration_ms > 0:
            self._sketch.add(duration_ms)

    def merge(self, other: Sketch) -> None:
        if other.count:
            self._sketch.merge(other._sketch)

    def quantile(self, q: float) -> float | None:
        """Logister's nearest-rank q-quantile (the value at index ceil(n * q) - 1 of the sorted durations)
        within RELATIVE_ACCURACY; None when the sketch holds nothing."""
        if not self.count:
            return None
        return float(self._mapping.value(self._store.key_at_rank(max(math.ceil(self.count * q) - 1, 0))))

    def encode(self) -> bytes:
        counts = [round(weight) for weight in self._store.bins]
        first = next((index for index, weight in enumerate(counts) if weight), len(counts))
        last = max((index for index, weight in enumerate(counts) if weight), default=first - 1)
        packed = {"k": self._store.offset + first, "b": counts[first : last + 1]}
        return zlib.compress(json.dumps(packed, separators=(",", ":")).encode(), 6)

    @classmethod
    def decode(cls, blob: bytes) -> Sketch:
        store = CollapsingLowestDenseStore(BIN_LIMIT)
        if blob:
            packed = json.loads(zlib.decompress(blob))
            for offset, weight in enumerate(packed["b"]):
                if weight:
                    store.add(int(packed["k"]) + offset, float(weight))
        return cls(store)  # counted by the sketch from its store


@dataclass(slots=True)
class Unit:
    """A batch's transactions of one aggregate (name None: folded past the cap)."""

    project_id: str
    environment: str
    hour: str
    name: str | None
    records: list[RecordKey] = field(default_factory=list)
    count: int = 0
    errors: int = 0
    duration_sum: float = 0.0
    sketch: Sketch = field(default_factory=Sketch)
    expires_at: int = 0

    def add(self, record: RecordKey, duration_ms: float, errored: bool, expires_at: int) -> None:
        duration = clamp_duration(duration_ms)
        self.records.append(record)
        self.count += 1
        self.errors += int(errored)
        self.duration_sum += duration
        self.sketch.add(duration)
        self.expires_at = max(self.expires_at, expires_at)


@dataclass(frozen=True, slots=True)
class Transaction:
    """What one stored event item contributes."""

    record: RecordKey
    environment: str
    hour: str
    name: str
    duration_ms: float
    errored: bool
    expires_at: int


def read_transaction(item: dict[str, Any]) -> Transaction:
    """The transaction a stored event item (a stream image, plain values) carries; raises when malformed."""
    fields = item[TRANSACTION]
    name = fields["name"]
    if not isinstance(name, str) or not isinstance(fields["errored"], bool):
        raise TypeError("transaction fields of the wrong type")
    return Transaction(
        record=(item["project_id"], item["uuid"]),
        environment=str(item.get("environment", "")),
        hour=item["received_at"][:13],
        name=cut_name(name) or UNNAMED,
        duration_ms=float(fields["duration_ms"]),
        errored=fields["errored"],
        expires_at=int(item["expires_at"]),
    )


def name_digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def admit(admitted: set[str], names: set[str], cap: int = MAX_NAMES) -> set[str]:
    """The digests admitted once `names` (digests) are offered to a directory holding `admitted`: the
    known ones, then new ones in a fixed order while there is room (so a redelivery admits the same)."""
    room = max(cap - len(admitted), 0)
    return admitted | set(sorted(names - admitted)[:room])


Place = tuple[str, str, str]  # (project id, environment, hour)


def group(transactions: list[Transaction], admitted: dict[Place, set[str]]) -> list[Unit]:
    """Units per aggregate: a name whose digest its place admitted has its own, the others fold into
    the place's `<other>` unit (name None)."""
    units: dict[tuple[str, str, str, str | None], Unit] = {}
    for transaction in transactions:
        place = _place(transaction)
        name = transaction.name if name_digest(transaction.name) in admitted[place] else None
        unit = units.get((*place, name))
        if unit is None:
            unit = units[(*place, name)] = Unit(*place, name)
        unit.add(transaction.record, transaction.duration_ms, transaction.errored, transaction.expires_at)
    return list(units.values())


def merged(stored: Aggregate, unit: Unit, token: str) -> Aggregate:
    """`stored` with `unit` added, remembering its token among the last APPLIED_TOKENS."""
    sketch = Sketch.decode(stored.sketch)
    sketch.merge(unit.sketch)
    return Aggregate(
        project_id=stored.project_id,
        environment=stored.environment,
        hour=stored.hour,
        name=stored.name,
        count=stored.count + unit.count,
        errors=stored.errors + unit.errors,
        duration_sum=stored.duration_sum + unit.duration_sum,
        sketch=sketch.encode(),
        applied=[*stored.applied, token][-APPLIED_TOKENS:],
        expires_at=max(stored.expires_at, unit.expires_at),
        version=stored.version,
    )


def aggregate_transactions(items: list[dict[str, Any]]) -> PartResult:
    """Add these stored transaction event items (plain values) to their hours' aggregates; a unit that
    fails for good rejects its own records alone."""
    result = PartResult()
    transactions: list[Transaction] = []
    for item in items:
        try:
            transactions.append(read_transaction(item))
        except (KeyError, TypeError, ValueError) as error:  # the image is at fault: it stays so
            result.reject([(item["project_id"], item["uuid"])], error)
    places: dict[Place, list[Transaction]] = {}
    for transaction in _fold_environments(transactions, result):
        places.setdefault(_place(transaction), []).append(transaction)
    admitted = _admit_places(places, result)
    units = group([transaction for place in admitted for transaction in places[place]], admitted)
    folded = sum(unit.count for unit in units if unit.name is None)
    if folded:
        metrics.add_metric(name="performance_names_folded", unit=MetricUnit.Count, value=folded)
    for unit in units:
        failed = result.attempt(unit.records, partial(_apply, unit, content_token(unit.records)))
        if failed is not None:
            result.reject(unit.records, failed)
    return result


def _place(transaction: Transaction) -> Place:
    return (transaction.record[0], transaction.environment, transaction.hour)


def _admit_places(places: dict[Place, list[Transaction]], result: PartResult) -> dict[Place, set[str]]:
    """Each place's admitted name digests, with this batch's names offered; a place whose directory
    cannot be written now leaves its records to the stream (or rejects them, when it never can be)."""
    admitted: dict[Place, set[str]] = {}
    for place, members in places.items():
        names = {name_digest(transaction.name) for transaction in members}
        try:
            admitted[place] = _admit(
                partial(performance_table.admitted_names, *place),
                partial(performance_table.admit_names, *place),
                names,
                MAX_NAMES,
                max(transaction.expires_at for transaction in members),
            )
        except Exception as error:
            result.failed([transaction.record for transaction in members], error)
    return admitted


def _fold_environments(transactions: list[Transaction], result: PartResult) -> list[Transaction]:
    """The transactions, those of environments past their project hour's cap renamed OTHER_ENVIRONMENT;
    a project hour whose directory cannot be written now leaves its records to the stream (or rejects
    them, when it never can be)."""
    project_hours: dict[tuple[str, str], list[Transaction]] = {}
    for transaction in transactions:
        project_hours.setdefault((transaction.record[0], transaction.hour), []).append(transaction)
    kept: list[Transaction] = []
    for (project_id, hour), members in project_hours.items():
        try:
            admitted = _admit(
                partial(performance_table.admitted_environments, project_id, hour),
                partial(performance_table.admit_environments, project_id, hour),
                {name_digest(transaction.environment) for transaction in members},
                MAX_ENVIRONMENTS,
                max(transaction.expires_at for transaction in members),
            )
        except Exception as error:
            result.failed([transaction.record for transaction in members], error)
            continue
        for transaction in members:
            folded = name_digest(transaction.environment) not in admitted
            if folded:
                count("performance_environments_folded")
            kept.append(replace(transaction, environment=OTHER_ENVIRONMENT) if folded else transaction)
    return kept


def _admit(
    read: Callable[[], tuple[set[str], int]],
    store: Callable[[set[str], int, int], bool],
    offered: set[str],
    cap: int,
    expires_at: int,
) -> set[str]:
    """The digests a directory admits once `offered` is offered to it (read, then stored on its version)."""
    for attempt in range(CHANGE_ATTEMPTS):
        stored, version = read()
        wanted = admit(stored, offered, cap)
        if wanted == stored or store(wanted, version, expires_at):
            return wanted
        count("performance_write_conflict")
        back_off(attempt)
    raise StoreUnavailable("performance")


def _apply(unit: Unit, token: str) -> None:
    """Merge the unit into its stored aggregate unless that already holds it (a redelivery)."""
    for attempt in range(CHANGE_ATTEMPTS):
        stored = performance_table.read(unit.project_id, unit.environment, unit.hour, unit.name)
        if token in stored.applied:
            return
        if performance_table.write(merged(stored, unit, token)):
            return
        count("performance_write_conflict")
        back_off(attempt)
    raise StoreUnavailable("performance")
