"""results.md and latency.png from what results.json holds. The note on where
the time goes (notes.md, written by a person about a recorded run) is appended
as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTES = HERE / "notes.md"
SERVICES = ("intake", "routing", "ownership", "notifications")
COLORS = {"postgres": "tab:blue", "sqlite": "tab:orange", "relay": "tab:gray"}


def _best(steps: list[dict[str, Any]], others: list[dict[str, Any]]) -> tuple[float, float]:
    """(sustained, peak): the delivered rate of the fastest step that kept up,
    and the best delivered rate of any phase (a saturated step or the closed
    loop shows what the pipeline can do when it is never short of work)."""
    kept_up = [s["delivered_rate"] for s in steps if not s["saturated"]]
    every = [s["delivered_rate"] for s in steps + others]
    return max(kept_up, default=0.0), max(every, default=0.0)


def compare(results: dict[str, Any]) -> dict[str, Any]:
    """Baton against the raw relay of the same run."""
    out: dict[str, Any] = {}
    relay = results.get("relay")
    r_sustained, r_peak = _best(relay["steps"], [relay["flood"]]) if relay else (0.0, 0.0)
    if relay:
        out["relay"] = {"sustained_per_s": r_sustained, "peak_per_s": r_peak}
    for name, b in results["backends"].items():
        sustained, peak = _best(b["steps"], [b["closed_loop"]])
        out[name] = {
            "sustained_per_s": sustained,
            "peak_per_s": peak,
            "post_capacity_per_s": b["closed_loop"]["accepted_rate"],
            "peak_vs_relay_peak": round(peak / r_peak, 5) if r_peak else None,
            "sustained_vs_relay_sustained": round(sustained / r_sustained, 5)
            if r_sustained
            else None,
        }
    return out


def _n(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value}{unit}"


def _ratio(value: float | None) -> str:
    return "-" if not value else f"{100 * value:.2g} % (1 : {1 / value:,.0f})"


def _lost(row: dict[str, Any], final_drain: str | None) -> str:
    if not row["missing"]:
        return "0"
    if final_drain == "timed out":  # notices were still arriving: late, not proven lost
        return f"{row['missing']} still on their way"
    return str(row["missing"])


def _phase_table(steps: list[dict[str, Any]], last: dict[str, Any], last_label: str) -> list[str]:
    rows = [
        "| offered /s | sent /s | accepted /s | refused /s (429) | POST p50 | POST p99 "
        "| e2e p50 | e2e p99 | delivered /s | errors | lost | duplicated | saturated |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in [*steps, last]:
        closed = s is last
        why = "(overloaded on purpose)" if closed else "; ".join(s["why_saturated"]) or "no"
        rows.append(
            f"| {last_label if closed else _n(s['offered_rate'])} | {_n(s['sent_rate'])} "
            f"| {_n(s['accepted_rate'])} | {_n(s.get('refused_rate', 0.0))} "
            f"| {_n(s['post_p50_ms'], ' ms')} "
            f"| {_n(s['post_p99_ms'], ' ms')} | {_n(s['e2e_p50_ms'], ' ms')} "
            f"| {_n(s['e2e_p99_ms'], ' ms')} | {_n(s['delivered_rate'])} | {s['failed']} "
            f"| {_lost(s, last['drain'])} | {s['duplicated']} | {why} |"
        )
    return rows


def _refusals(phases: list[dict[str, Any]]) -> list[str]:
    """What intake refused (429): asked to retry later, so neither an error nor
    lost. The load generator does not send a refused issue again."""
    refused = [p for p in phases if p.get("refused")]
    if not refused:
        return []
    each = [
        f"{p['name']}: {p['refused']} of {p['sent']} (Retry-After median "
        f"{_n(p.get('retry_after_p50_s'), ' s')})"
        for p in refused
    ]
    return [
        "",
        "Refused by intake (429, its outbox was behind; asked to retry later, not sent "
        "again by the load generator, and counted neither as errors nor as lost): "
        + "; ".join(each)
        + ".",
    ]


def _cpu_table(phases: list[dict[str, Any]], workers: list[str], unit: str) -> list[str]:
    """CPU per process, and what ``workers`` (the services, or the relay's hops)
    spent per item in the steps that kept up (elsewhere items wait in queues)."""
    names = [n for n in phases[0]["cpu_percent"] if n != "machine"]
    rows = [
        "| phase | " + " | ".join(names) + f" | machine (% of all cores) | CPU per {unit} |",
        "|---" + "|---:" * (len(names) + 2) + "|",
    ]
    for p in phases:
        cpu = p["cpu_percent"]
        cells = " | ".join(_n(cpu.get(n), " %") for n in names)
        each = None
        if p["offered_rate"] and not p["saturated"]:
            each = 10 * sum(cpu.get(w, 0.0) for w in workers) / p["offered_rate"]
        rows.append(
            f"| {p['name']} | {cells} | {_n(cpu.get('machine'), ' %')} | {_n(each, ' ms')} |"
        )
    return rows


def _handling_table(phases: list[dict[str, Any]]) -> list[str]:
    rows = ["| phase | service | consumed topic, or route | handled | mean time each |"]
    rows.append("|---|---|---|---:|---:|")
    for p in phases:
        for service, measured in p.get("handling", {}).items():
            for what, h in measured.items():
                if what != "departments":  # the catalog, published at start
                    rows.append(
                        f"| {p['name']} | {service} | {what} | {h['count']} | {h['mean_ms']} ms |"
                    )
    return rows


def _breakdown_table(steps: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| step | issues | POST, to intake's record | intake to routing | routing to ownership "
        "| ownership to notifications | delivery poll and SMTP, to the sink |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in steps:
        b = s.get("breakdown")
        if b:
            cells = " | ".join(_n(v, " ms") for v in b["median_ms"].values())
            rows.append(f"| {_n(s['offered_rate'])}/s | {b['issues']} | {cells} |")
    return rows


def _profile(p: dict[str, Any]) -> list[str]:
    if "error" in p:
        return [f"The profile failed: {p['error']}"]
    lines = [
        f"py-spy sampled **{p['service']}** on {p['backend']} for {p['seconds']:g} s while "
        f"{p['rate']:g} issues/s were offered: {p['samples']} samples of threads that were "
        f"running or ready to run, {p['samples'] / p['seconds']:.0f} a second (one thread "
        f"always on a CPU would give 100; waiting threads are not sampled). The process used "
        f"{_n(p.get('cpu_percent'))} % of one core meanwhile: the gap is time its threads were "
        "ready but had no CPU, or waited on the disk.",
        "",
        "| by library (the innermost frame that belongs to one) | share of samples |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v} % |" for k, v in p["by_library_percent"]]
    lines += ["", "| by step of the work (a sample counts for each on its stack) | share |"]
    lines += ["|---|---:|"] + [f"| {k} | {v} % |" for k, v in p["by_step_percent"]]
    lines += ["", "| busiest functions (leaf frames) | share |", "|---|---:|"]
    lines += [f"| `{k}` | {v} % |" for k, v in p["top_functions_percent"]]
    return lines


def _settings_note(results: dict[str, Any]) -> str:
    changed = results.get("config", {}).get("settings") or {}
    if not changed:
        return ""
    return (
        " Settings changed from their defaults (`--set`): "
        + ", ".join(f"`{k}={v}`" for k, v in sorted(changed.items()))
        + "."
    )


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    dirty = " (with uncommitted changes to services/ or shared/)"
    return [
        "# End-to-end throughput: results",
        "",
        f"Run {results['started_at']} to {results['finished_at']} ({results['duration_s']} s) "
        f"on commit `{results['commit'][:12]}`{dirty if results['uncommitted_changes'] else ''}. "
        f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}; load average "
        f"{m['load_average_at_start']} at the start, {m['load_average_at_end']} at the end."
        + _settings_note(results),
        "",
        "**The machine is shared and noisy.** Other people's builds and tests run on the same "
        "cores, as do Kafka, the services, the load generator and the SMTP sink. Absolute "
        "numbers move from run to run: compare Baton with the raw relay of the same run (the "
        "ratios), and the shape of the curves. How to run it and read it: "
        "[README.md](README.md); every number: [results.json](results.json).",
        "",
        "![e2e latency against offered rate](latency.png)",
    ]


def _summary(results: dict[str, Any]) -> list[str]:
    cmp = results["comparison"]
    lines = [
        "## Summary",
        "",
        "| | sustained: fastest step kept up with | peak delivered, any phase "
        "| intake's POST capacity (closed loop) | peak / relay's peak |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in results["backends"]:
        c = cmp[name]
        lines.append(
            f"| Baton on {name} | {_n(c['sustained_per_s'])} issues/s "
            f"| {_n(c['peak_per_s'])} issues/s | {_n(c['post_capacity_per_s'])} issues/s "
            f"| {_ratio(c['peak_vs_relay_peak'])} |"
        )
    if "relay" in cmp:
        c = cmp["relay"]
        lines.append(
            f"| raw 4-hop relay | {_n(c['sustained_per_s'])} msg/s | {_n(c['peak_per_s'])} msg/s "
            "| - | 1 |"
        )
    return lines


def _load_health(phases: list[dict[str, Any]]) -> str:
    """Whether the load generator kept to its schedule (it must not be the bottleneck)."""
    lag = max((p["send_lag_p99_ms"] or 0.0 for p in phases), default=0.0)
    cpu = max((p["cpu_percent"].get("load generator", 0.0) for p in phases), default=0.0)
    short = [
        f"{p['sent_rate']:g}/s of {p['offered_rate']:g}/s"
        for p in phases
        if p["offered_rate"] and p["sent_rate"] < 0.98 * p["offered_rate"]
    ]
    kept = f"it fell behind: sent {', '.join(short)}" if short else "it sent at every offered rate"
    return (
        f"The load generator: {kept}; its sends were at most {lag:g} ms late (p99 of the "
        f"worst phase) and it used at most {cpu:g} % of one core."
    )


def _backend(name: str, b: dict[str, Any]) -> list[str]:
    phases = [*b["steps"], b["closed_loop"]]
    lines = [
        f"## Baton on {name}",
        "",
        f"Services ready {b['startup_s']} s after they were started. Mails received, by kind: "
        f"{b['notices']}. The wait for the last notices after the closed loop: "
        f"{b['final_drain']}.",
        "",
        *_phase_table(
            b["steps"], b["closed_loop"], f"closed, {b['closed_loop']['clients']} clients"
        ),
        *_refusals(phases),
        "",
        _load_health(phases),
        "",
        "Memory of each service at the end (issue 12's target: at most 250 MB each):",
        "",
        "| service | RSS | peak RSS |",
        "|---|---:|---:|",
    ]
    for service, v in b["memory_mb"].items():
        lines.append(
            f"| {service} | {_n(v.get('rss_mb'), ' MB')} | {_n(v.get('peak_rss_mb'), ' MB')} |"
        )
    lines += [
        "",
        "CPU used while each phase ran (% of one core), and the four services' CPU time per issue:",
        "",
        *_cpu_table(phases, list(SERVICES), "issue (services)"),
    ]
    lines += [
        "",
        "Where an issue's time goes, hop by hop: medians over a sample of each step's issues, "
        "between the time stamps the services keep (a hop is the previous service's commit "
        "and outbox relay, Kafka, and the next one's fetch; see breakdown.py):",
        "",
        *_breakdown_table(b["steps"]),
    ]
    lines += ["", "Time the services measured themselves (their /metrics):", ""]
    lines += _handling_table(phases)
    if "profile" in b:
        lines += ["", f"### Profile of {b['profile']['service']}", "", *_profile(b["profile"])]
    return lines


def _relay(r: dict[str, Any]) -> list[str]:
    return [
        "## The ceiling: a raw four-hop aiokafka relay",
        "",
        "Four processes pass each message on, topic to topic (acks=all, idempotent producer, "
        "offsets committed per batch); a feeder produces on the same kind of open-loop "
        "schedule and a collector stamps arrivals after the fourth hop. Here the POST columns "
        "are the feeder's produce acknowledgements, and the last row floods the relay as fast "
        "as the broker acknowledges.",
        "",
        *_phase_table(r["steps"], r["flood"], "flood"),
        "",
        _load_health([*r["steps"], r["flood"]]).replace("load generator", "feeder"),
        "",
        "CPU used while each phase ran (% of one core), and the hops' and collector's CPU "
        "time per message:",
        "",
        *_cpu_table(
            [*r["steps"], r["flood"]],
            ["hop1", "hop2", "hop3", "hop4", "collector"],
            "message (relay)",
        ),
    ]


def render(results: dict[str, Any]) -> str:
    out = [*_header(results), "", *_summary(results)]
    for name, b in results["backends"].items():
        out += ["", *_backend(name, b)]
    if "relay" in results:
        out += ["", *_relay(results["relay"])]
    if NOTES.exists():
        out += ["", NOTES.read_text().strip()]
    return "\n".join(out) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    series = [(f"Baton, {n}", n, b["steps"]) for n, b in results["backends"].items()]
    if "relay" in results:
        series.append(("raw 4-hop relay", "relay", results["relay"]["steps"]))
    for label, key, steps in series:
        pts = [s for s in steps if s["e2e_p99_ms"] is not None]
        xs = [s["offered_rate"] for s in pts]
        color = COLORS.get(key)
        ax.plot(xs, [s["e2e_p99_ms"] for s in pts], "o-", color=color, label=f"{label}, p99")
        ax.plot(
            xs, [s["e2e_p50_ms"] for s in pts], "s--", color=color, alpha=0.5, label=f"{label}, p50"
        )
        hot = [s for s in pts if s["saturated"]]
        ax.plot([s["offered_rate"] for s in hot], [s["e2e_p99_ms"] for s in hot], "kx", ms=9)
    ax.plot([], [], "kx", label="saturated step")
    ax.set(xscale="log", yscale="log", xlabel="offered rate (issues or messages per second)")
    ax.set_ylabel("end-to-end latency (ms)")
    ax.set_title("End-to-end latency against offered rate (open loop)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(results: dict[str, Any], out: Path) -> None:
    plot(results, out / "latency.png")
    (out / "results.md").write_text(render(results))


def main() -> None:
    """Render results.md and latency.png again from results.json (say, after
    editing notes.md): ``python -m bench.e2e.report [DIR]``."""
    import json
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    write_report(json.loads((out / "results.json").read_text()), out)


if __name__ == "__main__":
    main()
