from logister_common.projections.arrivals import listings
from logister_common.storage.listings_table import pack, unpack


def record(uuid: str, received_at: str, project: str = "p", **fields) -> dict:
    return {"project_id": project, "uuid": uuid, "received_at": received_at, "signal": "event", **fields}


def test_one_listing_per_project_and_day_newest_first():
    made = listings(
        [
            record("a", "2026-11-27T10:00:00.000000Z", title="first", event_type="log", doc="not listed"),
            record("b", "2026-11-27T10:00:02.000000Z", event_type="error"),
            record("c", "2026-11-26T23:59:59.000000Z"),
            record("d", "2026-11-27T10:00:01.000000Z", project="q"),
        ],
        token=lambda covered: "t1",
    )
    by_key = {(listing.project_id, listing.day): listing for listing in made}
    today = by_key[("p", "2026-11-27")]
    assert [entry["uuid"] for entry in today.entries] == ["b", "a"]
    assert today.slot == "2026-11-27T10:00:02.000000Z#t1"
    assert today.entries[1] == {
        "uuid": "a",
        "signal": "event",
        "event_type": "log",
        "received_at": "2026-11-27T10:00:00.000000Z",
        "title": "first",
    }
    assert set(by_key) == {("p", "2026-11-27"), ("p", "2026-11-26"), ("q", "2026-11-27")}


def test_entries_round_trip_compressed():
    entries = [{"uuid": str(n), "title": "same title " * 5} for n in range(100)]
    blob = pack(entries)
    assert unpack(blob) == entries
    assert len(blob) < len(str(entries)) / 4


def test_projection_reads_stream_images_with_binary_documents(monkeypatch):
    """Lambda hands binary attributes over base64-encoded; the projection must not choke on them."""
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from logister_common.projections import arrivals, consumer

    written = []
    monkeypatch.setattr(arrivals.listings_table, "put", lambda listing, expires_at: written.append(listing))
    image = {
        "project_id": {"S": "p"},
        "uuid": {"S": "u1"},
        "signal": {"S": "event"},
        "received_at": {"S": "2026-11-27T10:00:00.000000Z"},
        "expires_at": {"N": "1800000000"},
        "doc_z": {"B": "eJzLSM3JyQcABiwCFQ=="},
    }
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}
    done = consumer.project([DynamoDBRecord(record)])
    assert {"listed": done.listed, "errors_counted": done.errors_counted} == {"listed": 1, "errors_counted": 0}
    assert [entry["uuid"] for entry in written[0].entries] == ["u1"]
