"""`report.html`: the report for people who would rather look than read.

A pure function of `report.json`, self-contained (inline CSS and SVG, no script, no external asset), with
every piece of text escaped. It shows synthetic rows only, never real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from dpsynth_trainer.report.svg import histogram_chart, line_chart

_CSS = """
body{margin:0;background:#f8fafc;color:#0f172a;font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}
main{max-width:920px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:16px 20px;margin:16px 0}
.meta{color:#475569;margin:0}
.notice{background:#fef3c7;border-color:#f59e0b}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{max-width:100%;height:auto}
.examples li{margin:4px 0}.label{font-weight:600}
.muted{color:#64748b}
"""


def _cell(value: Any, *, numeric: bool = False) -> str:
    css = ' class="num"' if numeric else ""
    return f"<td{css}>{escape(str(value))}</td>"


def _number(value: float | str | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return "∞" if value == "inf" else value
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric_from: int = 1) -> str:
    head = "".join(f"<th{' class=num' if i >= numeric_from else ''}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(_cell(v, numeric=i >= numeric_from) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, content: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f"<section{klass}><h2>{escape(title)}</h2>{content}</section>"


def _privacy(report: dict[str, Any]) -> str:
    privacy = report["privacy"]
    training = privacy["training"]
    mechanisms = [(m["mechanism"], _number(m["epsilon"]), _number(m["delta"], 2)) for m in privacy["mechanisms"]]
    mechanisms.append(
        (
            "total",
            _number(privacy["total"]["epsilon"]),
            _number(privacy["total"]["delta"], 2),
        )
    )
    details = [
        ("Accountant", training["accountant"]),
        ("Noise multiplier", _number(training["noiseMultiplier"])),
        ("Sampling rate", _number(training["sampleRate"])),
        ("Steps", training["steps"]),
        ("Epochs", _number(training["epochs"])),
        ("Clip norm", _number(training["maxGradNorm"])),
        ("Gradient clipping", training["clipping"]),
    ]
    return _section(
        "Privacy",
        f"<p>{escape(privacy['statement'])}</p>"
        + _table(["Mechanism", "ε", "δ"], mechanisms)
        + _table(["DP-SGD setting", "Value"], details),
    )


def _utility(report: dict[str, Any]) -> str:
    rows = [
        (
            c["classifier"],
            _number(c["real"]["accuracy"]),
            _number(c["synthetic"]["accuracy"]),
            _number(c["ratio"]["accuracy"]),
            _number(c["real"]["macroF1"]),
            _number(c["synthetic"]["macroF1"]),
            _number(c["ratio"]["macroF1"]),
        )
        for c in report["utility"]
    ]
    faith = report["labelFaithfulness"]
    return _section(
        "Utility: train on synthetic, test on real",
        "<p>Each classifier is trained once on the real training rows and once on the synthetic rows, and both "
        "are tested on the same real holdout rows. A ratio near 1 means the synthetic rows teach as much as the "
        "real ones.</p>"
        + _table(
            [
                "Classifier",
                "Accuracy real",
                "Accuracy synthetic",
                "Ratio",
                "Macro-F1 real",
                "Macro-F1 synthetic",
                "Ratio",
            ],
            rows,
        )
        + f"<p>Label faithfulness: the real-data {escape(faith['classifier'])} classifier agrees with the label a "
        f"synthetic row was generated for on <strong>{escape(_number(faith['agreement']))}</strong> of the rows "
        f"(1/number of labels is chance).</p>",
    )


def _training_chart(report: dict[str, Any]) -> str:
    curve = report["curve"]
    private = any(p["epsilon"] is not None for p in curve)
    points = [
        (p["epsilon"] if private else p["step"], p["loss"]) for p in curve if not private or p["epsilon"] is not None
    ]
    chart = line_chart(
        points,
        title="Training loss versus epsilon spent" if private else "Training loss per step",
        x_label="ε spent" if private else "step",
        y_label="training loss",
    )
    return _section("Training", chart)


def _fidelity(report: dict[str, Any]) -> str:
    f = report["fidelity"]
    length = f["length"]
    rows = [
        (
            "Label balance: total variation distance",
            _number(f["labelBalance"]["totalVariation"]),
        ),
        (
            "Mean words per row (real / synthetic)",
            f"{_number(length['realMean'])} / {_number(length['syntheticMean'])}",
        ),
        (
            "Word-count distribution: Kolmogorov-Smirnov statistic",
            _number(length["ks"]),
        ),
        ("Word 1-2-gram Jensen-Shannon distance", _number(f["ngramJensenShannon"])),
        ("Sentence-embedding MMD (RBF kernel)", _number(f["embeddingDistance"])),
    ]
    balance = [
        (
            label,
            _number(f["labelBalance"]["real"].get(label, 0.0)),
            _number(f["labelBalance"]["synthetic"].get(label, 0.0)),
        )
        for label in report["data"]["labels"]
    ]
    chart = histogram_chart(
        length["binEdges"],
        {"real": length["realHistogram"], "synthetic": length["syntheticHistogram"]},
        title="Words per row",
        x_label="words per row",
        y_label="rows",
    )
    return _section(
        "Fidelity",
        _table(["Measure (0 = identical)", "Value"], rows)
        + _table(["Label", "Share real", "Share synthetic"], balance)
        + f'<div class="charts">{chart}</div>',
    )


def _diagnostics(report: dict[str, Any]) -> str:
    d = report["privacyDiagnostics"]
    rows = [
        ("Synthetic rows that copy a training row exactly", d["exactCopies"]),
        (
            f"Near copies (word-set Jaccard ≥ {_number(d['nearCopyThreshold'])})",
            d["nearCopies"],
        ),
        (
            "Median distance to closest training row: synthetic rows",
            _number(d["dcr"]["syntheticToTrainMedian"]),
        ),
        (
            "Median distance to closest training row: holdout rows",
            _number(d["dcr"]["holdoutToTrainMedian"]),
        ),
        (
            "Membership-inference AUC (loss attack, 0.5 = no signal)",
            _number(d["membershipInferenceAuc"]),
        ),
    ]
    return _section(
        "Privacy diagnostics",
        "<p>Measured, not acted on: removing synthetic rows that look like training rows would itself release "
        "private information that the privacy budget does not account for.</p>" + _table(["Diagnostic", "Value"], rows),
    )


def _sampling(report: dict[str, Any]) -> str:
    s = report["sampling"]
    counts = [
        ("Requested", s["requested"]),
        ("Generated", s["generated"]),
        ("Parsed into rows", s["parsed"]),
        ("Failed to parse (counted, not in synthetic.csv)", s["failedToParse"]),
    ]
    mix = [(label, _number(weight)) for label, weight in s["labelMix"].items()]
    return _section(
        "Sampling",
        _table(["Rows", "Count"], counts)
        + f"<p>Label mix ({escape(s['labelMixSource'])}):</p>"
        + _table(["Label", "Weight"], mix),
    )


def _examples(report: dict[str, Any]) -> str:
    blocks = []
    for label, texts in report["examples"].items():
        items = "".join(f"<li>{escape(text)}</li>" for text in texts) or '<li class="muted">none parsed</li>'
        blocks.append(f'<p class="label">{escape(label)}</p><ul class="examples">{items}</ul>')
    return _section(
        "Synthetic examples",
        "<p>Synthetic rows only; real rows are never shown.</p>" + "".join(blocks),
    )


def _notes(report: dict[str, Any]) -> str:
    if not report["notes"]:
        return ""
    return _section(
        "Notes",
        "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in report["notes"]) + "</ul>",
    )


def render_html(report: dict[str, Any]) -> str:
    model = report["model"]
    header = (
        f'<header><h1>Synthetic data report</h1><p class="meta">Job {escape(report["jobId"])} · dataset '
        f"{escape(report['datasetId'])} · model {escape(model['id'])} ({escape(model['finetune'])}) · "
        f"{escape(report['createdAt'])}</p></header>"
    )
    notice = _section(
        "For the dataset owner and admins only",
        "<p>This report reads the real holdout split and the training rows to compute its metrics, so it is not "
        "differentially private itself. Share the synthetic data, not this report.</p>",
        css="notice",
    )
    body = "".join(
        [
            header,
            notice,
            _privacy(report),
            _utility(report),
            _training_chart(report),
            _fidelity(report),
            _diagnostics(report),
            _sampling(report),
            _examples(report),
            _notes(report),
        ]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>dpsynth report · {escape(report['jobId'])}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
