"""Multi-member gzip batches: decoded whole, capped in members, in work linear in the body."""

import gzip
import json
import zlib
from typing import Any

import pytest

from logister_common.contract import batch_lines
from logister_common.contract.batch_lines import MAX_GZIP_MEMBERS, decode, gunzip
from logister_common.contract.errors import ApiError

EMPTY_MEMBER = gzip.compress(b"")
REAL_DECOMPRESSOBJ = zlib.decompressobj


def ndjson(count: int) -> bytes:
    return "\n".join(
        json.dumps({"event": {"event_type": "log", "message": f"m{i}", "uuid": f"{i:08x}-bbbb-cccc-dddd-eeeeeeeeeeee"}})
        for i in range(count)
    ).encode()


def test_members_split_anywhere_decode_as_the_whole_body():
    raw = ndjson(100)
    pieces = [raw[start : start + 97] for start in range(0, len(raw), 97)]  # lines split across members
    body = b"".join(gzip.compress(piece) for piece in pieces)
    assert len(pieces) > 50
    assert gunzip(body) == raw
    assert [line.uuid for line in decode(body, "gzip")] == [line.uuid for line in decode(raw, None)]


def test_empty_members_up_to_the_cap_are_decoded():
    body = EMPTY_MEMBER * (MAX_GZIP_MEMBERS - 1) + gzip.compress(ndjson(3))
    assert [line.index for line in decode(body, "gzip")] == [0, 1, 2]


def test_one_member_over_the_cap_is_refused():
    body = EMPTY_MEMBER * MAX_GZIP_MEMBERS + gzip.compress(ndjson(3))
    with pytest.raises(ApiError) as raised:
        decode(body, "gzip")
    assert (raised.value.status, raised.value.body) == (
        413,
        {"error": f"telemetry batch exceeds {MAX_GZIP_MEMBERS} gzip members", "code": "gzip_members"},
    )


def test_two_mib_of_empty_members_is_refused_at_the_cap():
    body = EMPTY_MEMBER * (2 * 1024 * 1024 // len(EMPTY_MEMBER))
    with pytest.raises(ApiError) as raised:
        decode(body, "gzip")
    assert raised.value.body["code"] == "gzip_members"


@pytest.mark.parametrize(
    "body",
    [EMPTY_MEMBER[:-1], EMPTY_MEMBER + EMPTY_MEMBER[:10], EMPTY_MEMBER + b"\0\0\0"],
    ids=["truncated", "truncated second member", "trailing zeros"],
)
def test_incomplete_members_are_invalid_gzip(body):
    with pytest.raises(ApiError) as raised:
        decode(body, "gzip")
    assert (raised.value.status, raised.value.body["code"]) == (400, "invalid_gzip")


class _Spy:
    """zlib.decompressobj, recording every input it is handed."""

    def __init__(self, inputs: list[Any]) -> None:
        self._inputs = inputs
        self._real = REAL_DECOMPRESSOBJ(16 + zlib.MAX_WBITS)

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        self._inputs.append(data)
        return self._real.decompress(data, max_length)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_decoding_work_is_linear_in_the_body(monkeypatch: pytest.MonkeyPatch):
    """Quadratic decoding re-copies the rest of the body for every member; here zlib is handed
    views of the request body itself, at most three times its size plus a first chunk per member."""
    raw = ndjson(100)
    lines = raw.splitlines(keepends=True)
    body = EMPTY_MEMBER * (MAX_GZIP_MEMBERS - len(lines)) + b"".join(gzip.compress(line) for line in lines)
    inputs: list[Any] = []
    created: list[_Spy] = []

    def spy(wbits: int) -> _Spy:
        created.append(_Spy(inputs))
        return created[-1]

    monkeypatch.setattr(batch_lines.zlib, "decompressobj", spy)
    assert gunzip(body) == raw
    assert len(created) == MAX_GZIP_MEMBERS
    assert all(isinstance(data, memoryview) and data.obj is body for data in inputs)
    fed = sum(len(data) for data in inputs)
    assert fed <= 3 * len(body) + len(created) * batch_lines._FIRST_CHUNK
