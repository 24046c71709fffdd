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
.muted{color:#475569}
.verdict{border-left:6px solid #64748b}.verdict-useful{border-left-color:#15803d}
.verdict-weak{border-left-color:#b45309}.verdict-not-useful,.verdict-no-rows{border-left-color:#b91c1c}
.headline{font-size:16px;font-weight:600;margin:0 0 8px}
pre{white-space:pre-wrap;background:#f1f5f9;padding:8px;border-radius:6px;font-size:13px}
"""

_VERDICT_WORDS = {"useful": "Useful", "weak": "Weak", "not-useful": "Not useful", "no-rows": "No rows"}


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


def _summary(report: dict[str, Any]) -> str:
    summary = report["summary"]
    verdict = summary["verdict"]
    points = "".join(f"<li>{escape(point)}</li>" for point in summary["points"])
    return _section(
        f"Verdict: {_VERDICT_WORDS[verdict]}",
        f'<p class="headline">{escape(summary["headline"])}</p><ul>{points}</ul>',
        css=f"verdict verdict-{verdict}",
    )


def _utility(report: dict[str, Any]) -> str:
    baseline = {c["classifier"]: c for c in (report["baseline"] or {}).get("utility", [])}
    rows = [
        (
            c["classifier"],
            _number(c["real"]["accuracy"]),
            _number(c["synthetic"]["accuracy"]),
            _number(c["ratio"]["accuracy"]),
            _number(baseline[c["classifier"]]["synthetic"]["accuracy"]) if c["classifier"] in baseline else "n/a",
            _number(c["real"]["macroF1"]),
            _number(c["synthetic"]["macroF1"]),
        )
        for c in report["utility"]
    ]
    faith = report["labelFaithfulness"]
    prior = report["baseline"]
    prior_faith = (
        f" Rows of the untrained model agree on {escape(_number(prior['labelFaithfulness']['agreement']))}."
        if prior
        else ""
    )
    return _section(
        "Utility: train on synthetic, test on real",
        "<p>Each classifier is trained on the real training rows, on the synthetic rows, and on rows the untrained "
        "model writes with the same prompts (the prior-only baseline, which costs no privacy), and all are tested "
        "on the same real holdout rows. A ratio near 1 means the synthetic rows teach as much as the real ones; "
        "the baseline shows what fine-tuning on your data added.</p>"
        + _table(
            [
                "Classifier",
                "Accuracy real",
                "Accuracy synthetic",
                "Ratio",
                "Accuracy prior-only",
                "Macro-F1 real",
                "Macro-F1 synthetic",
            ],
            rows,
        )
        + f"<p>Label faithfulness: the real-data {escape(faith['classifier'])} classifier agrees with the label a "
        f"synthetic row was generated for on <strong>{escape(_number(faith['agreement']))}</strong> of the rows "
        f"(1/number of labels is chance).{prior_faith}</p>",
    )


def _prompt(report: dict[str, Any]) -> str:
    prompt = report["prompt"]
    examples = "".join(
        f'<p class="label">{escape(label)}</p><pre>{escape(text)}</pre>' for label, text in prompt["examples"].items()
    )
    return _section(
        "Prompt",
        f"<p>Rows were written after this prompt ({escape(prompt['style'])} style), built from public inputs only: "
        "the subject, each label's description and the column names. Template: "
        f"<code>{escape(prompt['instruction'])}</code></p>" + examples,
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
        ("Delivered in synthetic.csv", s["parsed"]),
        ("Missing (could not be generated within the candidate budget)", s["shortfall"]),
        ("Candidates generated", s["generated"]),
        ("Candidates with an empty text (dropped)", s["failedToParse"]),
        ("Candidates the re-scoring judged closer to another label or not clear enough", s["rejected"]),
        ("Delivered rows below the re-scoring threshold (too few candidates passed it)", s["belowThreshold"]),
    ]
    settings = (
        f"<p>Guidance weight {escape(_number(s['guidance']))}; re-scoring "
        + (
            f"on (a row's own label needs a posterior of at least {escape(_number(s['minPosterior']))})"
            if s["rescoring"]
            else "off"
        )
        + f"; {escape(_number(s['acceptanceRate']))} of the candidates were kept.</p>"
    )
    mix = [(label, _number(weight)) for label, weight in s["labelMix"].items()]
    return _section(
        "Sampling",
        _table(["Rows", "Count"], counts)
        + settings
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
            _summary(report),
            _notes(report),
            notice,
            _utility(report),
            _privacy(report),
            _training_chart(report),
            _sampling(report),
            _prompt(report),
            _fidelity(report),
            _diagnostics(report),
            _examples(report),
        ]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>dpsynth report · {escape(report['jobId'])}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
