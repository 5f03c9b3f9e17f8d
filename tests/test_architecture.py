"""The code's shape, checked: the event contracts need nothing of the runtime,
services never import one another, and inside each package (the kernel's and
every service's) the subpackages depend on one another without cycles."""

from __future__ import annotations

import sys

import grimp
import pytest

SERVICES = [
    "baton_intake",
    "baton_routing",
    "baton_ownership",
    "baton_notifications",
    "baton_workspace",
]
KERNEL = ["baton_contracts", "baton_runtime"]
PACKAGES = KERNEL + SERVICES


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def children(graph: grimp.ImportGraph, package: str) -> dict[str, str]:
    """Every module of ``package``, mapped to the child of ``package`` it is in."""
    owner = {}
    for module in graph.find_descendants(package):
        owner[module] = ".".join(module.split(".")[:2])
    return owner


def cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected groups of ``package``'s children (Tarjan), largest first."""
    owner = children(graph, package)
    edges: dict[str, set[str]] = {c: set() for c in set(owner.values())}
    for module, child in owner.items():
        for imported in graph.find_modules_directly_imported_by(module):
            target = owner.get(imported)
            if target is not None and target != child:
                edges[child].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles_between_the_subpackages_of(graph, package):
    assert cycles(graph, package) == []


def test_the_event_contracts_import_nothing_but_pydantic(graph):
    """So a system that publishes or reads Baton's events needs no Kafka client,
    database or web framework of Baton's to do it."""
    imported = {
        m.split(".")[0]
        for module in graph.find_descendants("baton_contracts") | {"baton_contracts"}
        for m in graph.find_modules_directly_imported_by(module)
    }
    allowed = {"baton_contracts", "pydantic", "pydantic_core", *sys.stdlib_module_names}
    assert imported - allowed == set()


def test_the_runtime_knows_no_service_and_no_service_knows_another(graph):
    for package in ["baton_runtime", *SERVICES]:
        for other in SERVICES:
            if other != package:
                assert not graph.chain_exists(importer=package, imported=other, as_packages=True), (
                    f"{package} imports {other}"
                )
