from pathlib import Path

import pytest
from baton_routing.catalog.schemas import Catalog
from baton_routing.catalog.service import load_catalog
from baton_routing.settings import DEFAULT_CATALOG
from pydantic import ValidationError


def test_default_catalog_has_every_department_with_two_liaisons_and_a_contact():
    catalog = load_catalog(DEFAULT_CATALOG)
    names = {d.name for d in catalog.departments}
    assert names == {"operations", "sales", "marketing", "finance", "hr", "it", "customer_service"}
    for department in catalog.departments:
        assert len(department.liaisons) >= 2
        assert department.head.email


def person(pid: str) -> dict[str, str]:
    return {"id": pid, "name": pid, "email": f"{pid}@example.com"}


def department(name: str) -> dict:
    return {
        "name": name,
        "description": name,
        "liaisons": [person(f"{name}-1")],
        "head": person(f"{name}-head"),
    }


def test_a_rule_naming_an_unknown_department_is_rejected():
    with pytest.raises(ValidationError, match="unknown department 'legal'"):
        Catalog.model_validate(
            {
                "departments": [department("customer_service")],
                "rules": [
                    {"id": "r1", "description": "d", "department": "legal", "keywords": ["x"]}
                ],
            }
        )


def test_the_fallback_department_is_required():
    with pytest.raises(ValidationError, match="customer_service"):
        Catalog.model_validate({"departments": [department("it")], "rules": []})


def test_a_department_without_liaisons_is_rejected(tmp_path: Path):
    bad = department("customer_service") | {"liaisons": []}
    with pytest.raises(ValidationError, match="liaisons"):
        Catalog.model_validate({"departments": [bad], "rules": []})


def test_a_catalog_version_from_before_examples_still_loads():
    document = load_catalog(DEFAULT_CATALOG).model_dump(mode="json")
    for d in document["departments"]:
        del d["examples"], d["min_confidence"]
    old = Catalog.model_validate(document)
    assert all(d.examples == [] and d.min_confidence is None for d in old.departments)
