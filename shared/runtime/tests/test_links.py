import pytest
from baton_runtime.links import LinkError, sign, verify

KEY = "k" * 32


def test_a_token_verifies_for_its_purpose_with_its_claims_and_a_fresh_id():
    first = sign({"issue_id": "i-1"}, key=KEY, purpose="rate", ttl_s=60, now=1000)
    second = sign({"issue_id": "i-1"}, key=KEY, purpose="rate", ttl_s=60, now=1000)
    claims = verify(first, key=KEY, purpose="rate", now=1030)
    assert claims["issue_id"] == "i-1" and claims["exp"] == 1060
    assert claims["jti"] != verify(second, key=KEY, purpose="rate", now=1030)["jti"]


def test_an_expired_token_is_refused_saying_so():
    token = sign({}, key=KEY, purpose="rate", ttl_s=60, now=1000)
    with pytest.raises(LinkError, match="expired"):
        verify(token, key=KEY, purpose="rate", now=1061)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),  # another MAC
        lambda t: "e30" + t[t.index(".") :],  # other claims ({}), the same MAC
        lambda t: t.split(".")[0],  # no MAC at all
        lambda t: "",
    ],
)
def test_a_tampered_token_is_refused(change):
    token = sign({"issue_id": "i-1"}, key=KEY, purpose="rate", ttl_s=60)
    with pytest.raises(LinkError, match="not valid"):
        verify(change(token), key=KEY, purpose="rate")


def test_a_token_for_one_purpose_or_key_does_not_serve_another():
    token = sign({"issue_id": "i-1"}, key=KEY, purpose="rate", ttl_s=60)
    with pytest.raises(LinkError):
        verify(token, key=KEY, purpose="acknowledge")
    with pytest.raises(LinkError):
        verify(token, key="other" * 8, purpose="rate")


def test_without_a_key_nothing_is_signed_or_verified():
    with pytest.raises(LinkError, match="no signing key"):
        sign({}, key="", purpose="rate", ttl_s=60)
