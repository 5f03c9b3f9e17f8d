import json
from pathlib import Path

from baton_contracts import asyncapi

DOC = Path(__file__).parents[3] / "docs" / "asyncapi.json"


def test_the_committed_asyncapi_document_matches_the_event_models():
    committed = json.loads(DOC.read_text())
    assert committed == asyncapi.document(), (
        "docs/asyncapi.json is stale: run `make asyncapi` and commit the result"
    )


def test_every_registered_event_is_a_message_on_its_topic():
    doc = asyncapi.document()
    for event_type, model in asyncapi.registered().items():
        message = doc["components"]["messages"][model.__name__]
        assert message["name"] == event_type
        assert message["payload"]["properties"]["type"] == {"const": event_type}
        channel = doc["channels"][asyncapi.topic_of(model)]
        assert model.__name__ in channel["messages"]
        assert model.__name__ in doc["components"]["schemas"]
