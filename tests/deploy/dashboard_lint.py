"""The rules of Grafana's dashboard linter (github.com/grafana/dashboard-linter),
applied to the chart's dashboards.

The linter itself is a Go module that the module proxy this project builds its
tools from does not serve (every version asked for was refused), so its default
rules are restated here, each under the linter's own rule name. PromQL is parsed
by the pinned promtool (``parse_errors``), as the linter's target-promql-rule
parses it with Prometheus' parser.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

# Grafana's variables, as the linter expands them before parsing.
EXPANSIONS = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "${__range}": "1h",
}
RANGE_FUNCTIONS = ("rate", "irate", "increase")
UNITS = {"short", "s", "ms", "reqps", "ops", "percent", "percentunit", "bytes", "none"}
SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")
COUNTER = re.compile(r"_(total|bucket|count|sum)$")


def panels(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def expressions(dashboard: dict) -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) of every target."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield panel.get("title", ""), target.get("expr", "")


def expand(expr: str, variables: list[str]) -> str:
    for name, value in EXPANSIONS.items():
        expr = expr.replace(name, value)
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", ".+").replace("$" + name, ".+")
    return expr


def _variables(dashboard: dict) -> dict[str, dict]:
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}


def _datasource_is_variable(datasource: object) -> bool:
    uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
    return uid in ("$datasource", "${datasource}")


def _template_rules(dashboard: dict) -> Iterator[str]:
    variables = _variables(dashboard)
    ds = variables.get("datasource")
    # template-datasource-rule
    if ds is None or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        yield "template-datasource-rule: a 'datasource' variable of type datasource, prometheus"
    elif ds.get("label") != "Data source":
        yield "template-datasource-rule: the datasource variable's label is 'Data source'"
    # template-job-rule, template-instance-rule
    for name in ("job", "instance"):
        v = variables.get(name)
        if v is None:
            yield f"template-{name}-rule: no '{name}' variable"
            continue
        if v.get("type") != "query" or not _datasource_is_variable(v.get("datasource")):
            yield f"template-{name}-rule: '{name}' must be a query on $datasource"
        if not (v.get("multi") and v.get("includeAll") and v.get("allValue") == ".+"):
            yield f"template-{name}-rule: '{name}' must be multi-valued with All = '.+'"
    # template-uneditable-rule
    if dashboard.get("editable") is not False:
        yield "template-uneditable-rule: the dashboard must not be editable"


def _panel_rules(dashboard: dict) -> Iterator[str]:
    for panel in panels(dashboard):
        title = panel.get("title", "")
        where = f"panel {title!r}"
        # panel-title-description-rule
        if not title or not panel.get("description"):
            yield f"panel-title-description-rule: {where} needs a title and a description"
        # panel-datasource-rule
        if not _datasource_is_variable(panel.get("datasource")):
            yield f"panel-datasource-rule: {where} must use $datasource"
        # panel-units-rule
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if panel.get("type") in ("timeseries", "stat", "gauge", "table") and unit not in UNITS:
            yield f"panel-units-rule: {where} has no known unit ({unit!r})"
        # panel-no-targets-rule
        if not panel.get("targets"):
            yield f"panel-no-targets-rule: {where} has no targets"


def _target_rules(dashboard: dict) -> Iterator[str]:
    for title, expr in expressions(dashboard):
        where = f"panel {title!r}: {expr}"
        selectors = SELECTOR.findall(expr)
        if not selectors:
            yield f"target-job-rule: {where}: no selector"
        for name, matchers in selectors:
            # target-job-rule, target-instance-rule
            for label in ("job", "instance"):
                if f'{label}=~"${label}"' not in matchers.replace(" ", ""):
                    yield f'target-{label}-rule: {where}: {name} lacks {label}=~"${label}"'
            # target-counter-agg-rule: counters only inside rate()/increase()
            if COUNTER.search(name):
                before = expr[: expr.index(name + "{")].rstrip()
                if not before.endswith(tuple(f"{f}(" for f in RANGE_FUNCTIONS)):
                    yield f"target-counter-agg-rule: {where}: {name} outside rate/increase"
        # target-rate-interval-rule
        for function, window in re.findall(r"\b(rate|irate)\([^\[]*\[([^\]]+)\]", expr):
            if window != "$__rate_interval":
                yield f"target-rate-interval-rule: {where}: {function} over [{window}]"


def lint(dashboard: dict) -> list[str]:
    """What the linter's default rules find wrong with ``dashboard`` (no PromQL parse)."""
    return [*_template_rules(dashboard), *_panel_rules(dashboard), *_target_rules(dashboard)]


def parse_errors(promtool: Path, dashboard: dict) -> list[str]:
    """target-promql-rule: every expression, its variables expanded, parses."""
    names = list(_variables(dashboard))
    errors = []
    for title, expr in expressions(dashboard):
        done = subprocess.run(
            [str(promtool), "--experimental", "promql", "format", expand(expr, names)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            errors.append(f"target-promql-rule: panel {title!r}: {done.stderr.strip()}")
    for name, variable in _variables(dashboard).items():
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        match = re.fullmatch(r"label_values\((.*),\s*[a-zA-Z_]+\)", query or "")
        if variable.get("type") == "query" and not match:
            errors.append(f"template-{name}: not a label_values(selector, label) query")
        elif match:
            done = subprocess.run(
                [str(promtool), "--experimental", "promql", "format", expand(match[1], names)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                errors.append(f"template-{name}: {done.stderr.strip()}")
    return errors
