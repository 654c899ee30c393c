"""GET /vocabulary: each enum member and policy field means what its docstring in jobdeck.domain
says, served from there (the console's hints read it; nothing else repeats them)."""

from __future__ import annotations

from dataclasses import fields

from jobdeck import vocabulary
from jobdeck.domain import Overlap, RetryPolicy
from tests.support import Api


def test_every_served_member_and_field_has_its_own_docstring():
    words = vocabulary.words()
    for enum in vocabulary.ENUMS:
        members = words[enum.__name__]["members"]
        assert list(members) == [str(member.value) for member in enum]
        assert all(members.values()), f"{enum.__name__}: a member without a docstring"
        assert len(set(members.values())) == len(members), f"{enum.__name__}: two members say the same"
    for policy in vocabulary.POLICIES:
        served = words[policy.__name__]["fields"]
        assert list(served) == [f.name for f in fields(policy)]
        assert all(field["doc"] for field in served.values()), f"{policy.__name__}: a field without a docstring"


def test_the_api_serves_the_domain_docstrings_to_signed_in_users(aws):
    api = Api()
    assert api("GET", "/vocabulary", user=None).status == 401
    served = api("GET", "/vocabulary", user="alice").json()
    assert served["Overlap"]["members"][Overlap.SKIP.value] == "The new run ends SKIPPED, with the reason."
    assert served["RetryPolicy"]["fields"]["max_attempts"] == {"doc": "Attempts in all; 1: no retry.", "default": 1}
    assert served == vocabulary.words()
    assert RetryPolicy().max_attempts == served["RetryPolicy"]["fields"]["max_attempts"]["default"]
