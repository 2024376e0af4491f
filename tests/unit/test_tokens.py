from logister_common.admission.tokens import digest, extract_token, generate_token


def test_bearer_wins_over_x_api_key_and_is_stripped():
    assert extract_token({"authorization": "Bearer  abc ", "x-api-key": "other"}) == "abc"


def test_empty_bearer_does_not_fall_back_to_x_api_key():
    assert extract_token({"authorization": "Bearer ", "x-api-key": "other"}) is None


def test_other_schemes_fall_back_to_x_api_key():
    assert extract_token({"authorization": "bearer abc", "x-api-key": " key "}) == "key"
    assert extract_token({"authorization": "Token abc"}) is None


def test_no_headers_no_token():
    assert extract_token({}) is None


def test_tokens_look_like_logisters_and_digest_is_sha256_hex():
    token = generate_token()
    assert token.startswith("logister_") and len(token) == len("logister_") + 48
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
