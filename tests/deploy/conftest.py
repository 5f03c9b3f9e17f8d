"""The chart rendered once per values file, for every deploy check."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import kubernetes_validate
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "k8s"))
render = importlib.import_module("render")

SERVICES = ["intake", "routing", "ownership", "notifications"]
VALUES = {
    "default": (),
    "laptop": (render.CHART / "values-laptop.yaml",),
    "production": (render.CHART / "values-production.yaml",),
}


@pytest.fixture(scope="session", params=list(VALUES))
def rendered(request) -> tuple[str, str]:
    """(values name, the chart rendered with it)."""
    return request.param, render.helm_template(*VALUES[request.param])


@pytest.fixture(scope="session")
def production() -> list[dict]:
    return render.objects(render.helm_template(*VALUES["production"]))


def of_kind(objs: list[dict], kind: str) -> dict[str, dict]:
    """Objects of one kind by their component label."""
    return {
        o["metadata"]["labels"]["app.kubernetes.io/component"]: o
        for o in objs
        if o["kind"] == kind and not render.is_hook(o)
    }


def container(deployment: dict) -> dict:
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    return c


def validate(obj: dict) -> None:
    """Strict validation against Kubernetes' schemas. The Prometheus Operator's kinds
    have none there: test_monitoring_chart.py checks them."""
    if obj["apiVersion"].startswith("monitoring.coreos.com/"):
        return
    kubernetes_validate.validate(obj, render.KUBE_VERSION, strict=True)
