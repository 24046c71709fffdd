"""Writing one benchmark's result: `<name>.json` and `<name>.md`, stamped with commit, machine and date.

Every benchmark (Python here, JavaScript through the `write` command below) hands over a *body*:

    {"title": str, "summary": str, "parameters": {...}, "tables": [{"title", "columns", "rows"}],
     "anchors": [str], "notes": [str], "measurements": [...]}

Tables put each number beside its baseline and their ratio, all from the same run: these machines are shared
and noisy, so only ratios travel between runs. This module is the one renderer, so every result file has the
same header and layout.

    python -m bench.trainer.results --name platform --body body.json --out-dir bench/results
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


@functools.cache
def commit_info() -> dict[str, Any]:
    """HEAD and whether the tree differed from it, as first asked; `DPSYNTH_BENCH_COMMIT` names it where no .git
    travels. Cached, and asked at import: a long benchmark that writes after every run stamps the code it runs,
    not a commit checked out while it ran."""
    given = os.environ.get("DPSYNTH_BENCH_COMMIT")
    head = _git("rev-parse", "HEAD")
    if head is None:
        return {"commit": given or "unknown", "dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": head, "dirty": bool(status)}


commit_info()  # now, while HEAD is still the code this process loaded


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^MemTotal:\s+(\d+) kB", text, re.MULTILINE)
    return round(int(found.group(1)) / 2**20, 1) if found else None


def _gpu() -> str | None:
    """The first GPU: from torch when a benchmark loaded it, else from nvidia-smi (JavaScript benchmarks)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return f"{props.name} ({props.total_memory / 2**30:.0f} GiB), torch {torch.__version__}"
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else None


def machine_info() -> dict[str, Any]:
    return {
        "cpuModel": _cpu_model(),
        "cores": os.cpu_count(),
        "memoryGiB": _memory_gib(),
        "gpu": _gpu(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value == 0:
            return "0"
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        if magnitude >= 0.01:
            return f"{value:.3g}"
        return f"{value:.2e}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    machine = meta["machine"]
    dirty = " (working tree differed from it)" if meta.get("dirty") else ""
    gpu = machine.get("gpu") or "none"
    lines = [
        f"# {result['title']}",
        "",
        f"- commit: `{meta['commit']}`{dirty}",
        f"- date: {meta['date']}",
        f"- machine: {machine['cpuModel']}, {machine['cores']} cores, {machine['memoryGiB']} GiB memory, GPU: {gpu}",
        f"- command: `{meta['command']}`"
        + (" (smoke size: proves it runs, numbers mean little)" if meta["smoke"] else ""),
        "",
        result.get("summary", ""),
        "",
    ]
    if result.get("parameters"):
        lines += ["Size and settings:", ""]
        lines += [f"- {key}: {_cell(value)}" for key, value in result["parameters"].items()]
        lines.append("")
    for table in result.get("tables", []):
        lines += [f"## {table['title']}", ""]
        lines.append("| " + " | ".join(table["columns"]) + " |")
        lines.append("|" + "|".join("---" for _ in table["columns"]) + "|")
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table["rows"]]
        lines.append("")
    for heading, key in (("Anchors (published, not measured here)", "anchors"), ("Notes", "notes")):
        if result.get(key):
            lines += [f"## {heading}", ""] + [f"- {item}" for item in result[key]] + [""]
    return "\n".join(lines).rstrip() + "\n"


def write_result(name: str, body: dict[str, Any], out_dir: Path, *, smoke: bool, command: str) -> Path:
    """Stamp `body` and write `<out_dir>/<name>.json` and `.md`; returns the JSON path."""
    result = {
        "benchmark": name,
        "meta": {
            **commit_info(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "smoke": smoke,
            "command": command,
        },
        **body,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{name}.json"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    (out_dir / f"{name}.md").write_text(render_markdown(result), encoding="utf-8")
    return json_path


def print_tables(body: dict[str, Any]) -> None:
    """What was measured, on the terminal, in the same layout as the markdown file."""
    for table in body.get("tables", []):
        widths = [
            max(len(str(c)), *(len(_cell(row[i])) for row in table["rows"])) if table["rows"] else len(str(c))
            for i, c in enumerate(table["columns"])
        ]
        print(f"\n{table['title']}")
        print("  ".join(str(c).ljust(w) for c, w in zip(table["columns"], widths, strict=True)))
        for row in table["rows"]:
            print("  ".join(_cell(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    for note in body.get("notes", []):
        print(f"note: {note}")
    sys.stdout.flush()


def benchmark_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every benchmark takes: where to write, smoke size, and the command to record."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true", help="tiny size: proves the benchmark runs")
    parser.add_argument("--command", help="the command to record (default: this process's own)")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("DPSYNTH_BENCH_THREADS", "1")),
        help="torch intra-op threads (default: DPSYNTH_BENCH_THREADS or 1; see measure.use_threads)",
    )
    return parser


def publish(name: str, body: dict[str, Any], args: argparse.Namespace) -> Path:
    """Print what was measured, then write it."""
    print_tables(body)
    command = args.command or " ".join([Path(sys.executable).name, *sys.argv])
    path = write_result(name, body, args.out_dir, smoke=args.smoke, command=command)
    print(f"\nwrote {path} and {path.with_suffix('.md')}")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--body", required=True, type=Path, help="the body a JavaScript benchmark wrote")
    args = parser.parse_args(argv)
    publish(args.name, json.loads(args.body.read_text(encoding="utf-8")), args)


if __name__ == "__main__":
    main()
