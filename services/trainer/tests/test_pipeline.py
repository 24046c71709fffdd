"""The whole job on a CPU: real data (the Rotten Tomatoes fixture), a tiny model, real Opacus DP-SGD."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from dpsynth_trainer import cli, pipeline
from dpsynth_trainer.contract import parse_job_spec, validate_instance

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"
HOLDOUT_ROWS = 120


def write_splits(directory: Path) -> tuple[Path, Path, list[dict[str, str]], list[dict[str, str]]]:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    train, holdout = rows[:-HOLDOUT_ROWS], rows[-HOLDOUT_ROWS:]
    paths = []
    for name, split in (("train.csv", train), ("holdout.csv", holdout)):
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["review", "label"])
            writer.writeheader()
            writer.writerows(split)
        paths.append(path)
    return paths[0], paths[1], train, holdout


def raw_spec(data_dir: Path, out_dir: Path, train_rows: int, **overrides) -> dict:
    train_path, holdout_path = data_dir / "train.csv", data_dir / "holdout.csv"
    raw = {
        "schemaVersion": 1,
        "jobId": "job_e2e",
        "datasetId": "ds_rt",
        "model": {"id": "tiny-llama", "finetune": "lora"},
        "privacy": {"epsilon": 8, "delta": 1e-5, "labelCounts": {"epsilon": 0.5, "delta": 1e-6}, "maxGradNorm": 1.0},
        # Half an epoch in 3 logical steps of ~80 rows: a real DP-SGD run that stays cheap on 2 cores.
        "training": {
            "epochs": 0.5,
            "learningRate": 1e-3,
            "logicalBatchSize": 80,
            "physicalBatchSize": 40,
            "maxSeqLen": 64,
            "checkpointEvery": 2,
        },
        "sampling": {"rows": 40, "maxNewTokens": 20, "batchSize": 20},
        "evaluation": {"classifiers": ["tfidf", "embedding", "transformer"], "baselineRows": 20},
        "data": {
            "trainUri": train_path.as_uri(),
            "holdoutUri": holdout_path.as_uri(),
            "textColumn": "review",
            "labelColumn": "label",
            "labels": [{"value": "fresh", "description": "positive"}, {"value": "rotten", "description": "negative"}],
            "subject": "movie review",
            "trainRows": train_rows,
        },
        "outputUri": out_dir.as_uri(),
    }
    raw.update(overrides)
    return raw


def make_spec(data_dir: Path, out_dir: Path, train_rows: int, **overrides):
    return parse_job_spec(raw_spec(data_dir, out_dir, train_rows, **overrides))


@pytest.fixture(scope="module")
def run(tmp_path_factory, monkeypatch_module):
    """One job through the CLI (`python -m dpsynth_trainer run`), in-process so that spies can watch it."""
    data_dir, out_dir = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("out")
    _, _, train, holdout = write_splits(data_dir)
    # The CLI writes to --out whatever the spec's outputUri says.
    raw = raw_spec(data_dir, data_dir / "elsewhere", len(train))
    spec_path = data_dir / "spec.json"
    spec_path.write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch_module.setenv("DPSYNTH_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch_module.setenv("DPSYNTH_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
    monkeypatch_module.setenv("DPSYNTH_DEVICE", "cpu")
    monkeypatch_module.delenv("REDIS_URL", raising=False)

    # Spies, not mocks: the real functions run; we only record what training was given and when the
    # holdout was read.
    seen = {"trained_on": None, "reads": []}
    real_train, real_read = pipeline.train, pipeline.read_split

    def spy_train(spec, rows, *args, **kwargs):
        seen["trained_on"] = [row.text for row in rows.rows]
        return real_train(spec, rows, *args, **kwargs)

    def spy_read(uri, spec):
        seen["reads"].append((uri, seen["trained_on"] is not None))
        return real_read(uri, spec)

    monkeypatch_module.setattr(pipeline, "train", spy_train)
    monkeypatch_module.setattr(pipeline, "read_split", spy_read)
    assert cli.main(["run", "--spec", str(spec_path), "--out", str(out_dir)]) == 0
    events = [json.loads(line) for line in (out_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return {
        "spec": parse_job_spec(raw),
        "spec_path": spec_path,
        "report": json.loads((out_dir / "report.json").read_text(encoding="utf-8")),
        "events": events,
        "seen": seen,
        "train": train,
        "holdout": holdout,
        "out": out_dir,
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_the_report_is_valid_and_its_files_are_written(run):
    out = run["out"]
    validate_instance("report", run["report"])
    assert not (Path(run["spec"].outputUri.removeprefix("file://"))).exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert "for the dataset owner and admins only" in html.lower()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external asset


def test_the_report_holds_computed_numbers(run):
    report = run["report"]
    assert report["data"] == {
        "trainRows": 480,
        "holdoutRows": HOLDOUT_ROWS,
        "labels": ["fresh", "rotten"],
        "columns": [],
        "rowsOutsideLabelSet": 0,
    }
    sampling = report["sampling"]
    assert sampling["requested"] == 40 and sampling["parsed"] + sampling["shortfall"] == 40
    # Every candidate was empty, rejected or kept; rows kept below the threshold fill a shortfall and are counted.
    kept = sampling["generated"] - sampling["failedToParse"] - sampling["rejected"]
    assert kept >= 0 and sampling["parsed"] <= kept + sampling["belowThreshold"]
    assert sampling["acceptanceRate"] == pytest.approx(
        (sampling["generated"] - sampling["failedToParse"] - sampling["rejected"]) / sampling["generated"]
    )
    assert report["prompt"]["examples"]["fresh"].endswith("Write one movie review (label: positive).\n")
    assert report["summary"]["verdict"] in {"useful", "weak", "not-useful"} and report["summary"]["points"]
    utility = {c["classifier"]: c for c in report["utility"]}
    assert set(utility) == {"tfidf", "embedding"}  # the transformer is CUDA-only
    assert any("transformer classifier needs a CUDA GPU" in note for note in report["notes"])
    # The real-data classifiers learn fresh vs rotten; numbers come from the data, not constants.
    assert utility["tfidf"]["real"]["accuracy"] > 0.6 and utility["embedding"]["real"]["accuracy"] > 0.6
    tfidf = utility["tfidf"]
    assert tfidf["ratio"]["accuracy"] == pytest.approx(tfidf["synthetic"]["accuracy"] / tfidf["real"]["accuracy"])
    assert report["privacyDiagnostics"]["membershipInferenceAuc"] is not None
    assert report["fidelity"]["embeddingDistance"] is not None
    assert len(report["curve"]) == report["privacy"]["training"]["steps"] > 0
    assert all(p["epsilon"] is not None for p in report["curve"])


def test_the_prior_only_baseline_is_judged_beside_the_dp_rows(run):
    report = run["report"]
    baseline = report["baseline"]
    # 20 asked; the untrained tiny model may exhaust its candidate budget before all of them pass re-scoring.
    assert 0 < baseline["rows"] <= 20
    assert {c["classifier"] for c in baseline["utility"]} == {c["classifier"] for c in report["utility"]}
    real = {c["classifier"]: c["real"]["accuracy"] for c in report["utility"]}
    for c in baseline["utility"]:
        assert c["ratio"]["accuracy"] == pytest.approx(c["synthetic"]["accuracy"] / real[c["classifier"]])
    assert set(baseline["labelFaithfulness"]["byClassifier"]) == set(report["labelFaithfulness"]["byClassifier"])


def test_privacy_is_charged_per_mechanism_and_stated(run):
    report, events = run["report"], run["events"]
    charges = [e for e in events if e["type"] == "privacy"]
    counts = [e for e in charges if e["mechanism"] == "gaussian-label-counts"]
    assert [(e["epsilon"], e["delta"]) for e in counts] == [(0.5, 1e-6)]
    dp_sgd = [e for e in charges if e["mechanism"] == "dp-sgd"]
    # The label counts are charged before training starts, and training stays within what is left.
    assert charges.index(counts[0]) < charges.index(dp_sgd[0])
    assert dp_sgd[-1]["epsilon"] <= 8 - 0.5 + 1e-9
    mechanisms = {m["mechanism"]: m for m in report["privacy"]["mechanisms"]}
    assert mechanisms["gaussian-label-counts"]["epsilon"] == 0.5
    assert mechanisms["dp-sgd"]["epsilon"] == pytest.approx(dp_sgd[-1]["epsilon"])
    assert report["privacy"]["total"]["epsilon"] == pytest.approx(0.5 + dp_sgd[-1]["epsilon"])
    assert "label set" in report["privacy"]["statement"].lower() or "set of labels" in report["privacy"]["statement"]


def test_artifacts_and_result_are_announced(run):
    events, out = run["events"], run["out"]
    artifacts = {e["name"]: e for e in events if e["type"] == "artifact"}
    assert set(artifacts) == {"synthetic.csv", "report.json", "report.html"}
    for name, event in artifacts.items():
        data = (out / name).read_bytes()
        assert (event["bytes"], event["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    result = [e for e in events if e["type"] == "result"]
    assert len(result) == 1
    metrics = result[0]["metrics"]
    for key in ("eval/trtr_accuracy_tfidf", "eval/tstr_accuracy_tfidf", "eval/tstr_ratio_accuracy_tfidf"):
        assert key in metrics
    assert metrics["eval/trtr_accuracy_tfidf"] == run["report"]["utility"][0]["real"]["accuracy"]
    sampling = run["report"]["sampling"]
    assert result[0]["rows"] == {"requested": 40, "produced": sampling["parsed"]}
    # A shortfall is never silent: the result carries a warning that says it with its numbers.
    assert bool(result[0]["warnings"]) >= (sampling["shortfall"] > 0)
    stages = [e["stage"] for e in events if e["type"] == "stage"]
    assert stages[-4:] == ["training", "sampling", "evaluating", "done"]
    assert stages[0] == "loading"
    sampling_progress = [e for e in events if e["type"] == "metric" and "sampling/rows_done" in e["values"]]
    assert sampling_progress[-1]["values"]["sampling/rows_done"] == run["report"]["sampling"]["parsed"]


def test_the_synthetic_csv_has_the_uploads_columns_and_every_parsed_row(run):
    with (run["out"] / "synthetic.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"review", "label"}
    assert len(rows) == run["report"]["sampling"]["parsed"]


def test_training_never_sees_the_holdout_and_evaluation_reads_it_after(run):
    seen, holdout = run["seen"], run["holdout"]
    assert len(seen["trained_on"]) == len(run["train"])
    assert not set(seen["trained_on"]) & {row["review"] for row in holdout}
    holdout_uri = run["spec"].data.holdoutUri
    assert [after_training for uri, after_training in seen["reads"] if uri == holdout_uri] == [True]


def test_no_training_row_reaches_an_event(run):
    text = "\n".join(json.dumps(e) for e in run["events"])
    leaked = [row["review"] for row in run["train"] + run["holdout"] if row["review"] in text]
    assert leaked == []


def test_sample_reuses_the_runs_model_and_label_mix_one_row_at_a_time(run, tmp_path, capsys):
    before = [e for e in run["events"] if e["type"] == "privacy"]
    out = tmp_path / "again.csv"
    argv = ["sample", "--spec", str(run["spec_path"]), "--run", str(run["out"]), "--out", str(out)]
    assert cli.main([*argv, "--rows", "4", "--batch-size", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requested"] == 4 and summary["candidates"] >= summary["delivered"]
    with out.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == summary["delivered"]
    # Sampling again releases nothing: no new privacy event was written.
    events = (run["out"] / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len([e for e in map(json.loads, events) if e["type"] == "privacy"]) == len(before)


def test_guidance_and_rescoring_read_no_training_row(run, tmp_path, capsys):
    """With the training split gone, sampling with both post-processing steps still works: they read only the
    DP model and the public prompts."""
    raw = json.loads(run["spec_path"].read_text(encoding="utf-8"))
    raw["data"]["trainUri"] = (tmp_path / "deleted-train.csv").as_uri()
    raw["sampling"].update({"guidance": 2.0, "rescoring": True})
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(raw), encoding="utf-8")
    out = tmp_path / "rows.csv"
    argv = ["sample", "--spec", str(spec_path), "--run", str(run["out"]), "--out", str(out), "--rows", "6"]
    assert cli.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["delivered"] > 0 and not (tmp_path / "deleted-train.csv").exists()


def test_evaluate_rebuilds_the_report_for_any_synthetic_csv(run, tmp_path, capsys):
    """Real rows passed off as synthetic: the pipeline's own metrics must see perfect copies."""
    train_csv = run["spec"].data.trainUri.removeprefix("file://")
    argv = ["evaluate", "--spec", str(run["spec_path"]), "--run", str(run["out"]), "--synthetic", train_csv]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    validate_instance("report", report)
    tfidf = next(c for c in report["utility"] if c["classifier"] == "tfidf")
    assert tfidf["ratio"] == {"accuracy": 1.0, "macroF1": 1.0}
    assert report["privacyDiagnostics"]["exactCopies"] == len(run["train"])
    assert report["privacyDiagnostics"]["dcr"]["syntheticToTrainMedian"] == pytest.approx(0.0, abs=1e-9)
    assert (tmp_path / "report.html").exists()


# --- a label set released with DP ------------------------------------------------------------------------------

RARE_LABEL = "zz-held-by-one-row"


@pytest.fixture(scope="module")
def dp_label_run(tmp_path_factory, monkeypatch_module):
    """A job whose owner did not declare the labels: one training row carries a label no other row has."""
    data_dir, out_dir = tmp_path_factory.mktemp("dp-data"), tmp_path_factory.mktemp("dp-out")
    _, _, train, _ = write_splits(data_dir)
    train[7] = {**train[7], "label": RARE_LABEL}
    with (data_dir / "train.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["review", "label"])
        writer.writeheader()
        writer.writerows(train)
    raw = raw_spec(
        data_dir,
        out_dir,
        len(train),
        privacy={"epsilon": 8, "delta": 1e-5, "labelSet": {"epsilon": 1.0, "delta": 1e-6}, "maxGradNorm": 1.0},
        sampling={"rows": 12, "maxNewTokens": 12, "batchSize": 12, "labelMix": {"kind": "dp-counts"}},
        evaluation={"classifiers": ["tfidf"], "baselineRows": 0},
    )
    raw["data"] = {**raw["data"], "labelSource": "dp-histogram", "labels": []}
    raw["training"] = {**raw["training"], "epochs": 0.2}
    spec_path = data_dir / "spec.json"
    spec_path.write_text(json.dumps(raw), encoding="utf-8")
    for name in ("DPSYNTH_HOME", "DPSYNTH_MODEL_CACHE"):
        monkeypatch_module.setenv(name, str(tmp_path_factory.mktemp(name.lower())))
    monkeypatch_module.setenv("DPSYNTH_DEVICE", "cpu")
    monkeypatch_module.delenv("REDIS_URL", raising=False)
    assert cli.main(["run", "--spec", str(spec_path), "--out", str(out_dir)]) == 0
    return {"out": out_dir, "train": train}


def test_a_label_under_the_threshold_reaches_no_output(dp_label_run):
    out = dp_label_run["out"]
    for name in ("synthetic.csv", "report.json", "report.html", "events.jsonl", "label-set.json"):
        assert RARE_LABEL not in (out / name).read_text(encoding="utf-8"), name
    # Nor does any message count its rows (the spec's row count is that of the released labels).
    assert "training rows but the data has" not in (out / "events.jsonl").read_text(encoding="utf-8")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["data"]["labels"] == ["fresh", "rotten"]
    assert set(report["prompt"]["examples"]) == {"fresh", "rotten"}
    assert report["sampling"]["labelMixSource"] == "dp-label-set"
    with (out / "synthetic.csv").open(encoding="utf-8", newline="") as handle:
        assert {row["label"] for row in csv.DictReader(handle)} <= {"fresh", "rotten"}


def test_the_label_set_release_is_charged_once_and_training_gets_the_rest(dp_label_run):
    out = dp_label_run["out"]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    charges = [e for e in events if e["type"] == "privacy"]
    label_set = [e for e in charges if e["mechanism"] == "gaussian-label-set"]
    assert [(e["epsilon"], e["delta"]) for e in label_set] == [(1.0, 1e-6)]
    assert not [e for e in charges if e["mechanism"] == "gaussian-label-counts"]  # one release serves the mix
    dp_sgd = [e for e in charges if e["mechanism"] == "dp-sgd"]
    assert charges.index(label_set[0]) < charges.index(dp_sgd[0])
    assert dp_sgd[-1]["epsilon"] <= 8 - 1.0 + 1e-9
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    mechanisms = {m["mechanism"]: m for m in report["privacy"]["mechanisms"]}
    assert mechanisms["gaussian-label-set"] == {"mechanism": "gaussian-label-set", "epsilon": 1.0, "delta": 1e-6}
    assert "released with differential privacy" in report["privacy"]["statement"]


def test_a_model_that_cannot_load_spends_no_label_budget(tmp_path):
    """The model is loaded before the DP label counts are released: a load failure wastes no epsilon."""
    from dpsynth_trainer.config import TrainerSettings
    from dpsynth_trainer.errors import TrainerError
    from dpsynth_trainer.events import EventEmitter

    _, _, train, _ = write_splits(tmp_path)
    out = tmp_path / "out"
    spec = make_spec(tmp_path, out, len(train), model={"id": str(tmp_path / "no-such-model")})
    settings = TrainerSettings(DPSYNTH_HOME=tmp_path / "home", DPSYNTH_MODEL_CACHE=tmp_path / "models")
    events_file = tmp_path / "events.jsonl"
    emitter = EventEmitter.to_jsonl(events_file, job_id=spec.jobId, attempt=1)
    with pytest.raises(TrainerError):
        pipeline.run_job(spec, emitter, settings=settings)
    events = [json.loads(line) for line in events_file.read_text(encoding="utf-8").splitlines()]
    assert not [e for e in events if e["type"] == "privacy"]
    assert not (out / "label-mix.json").exists()
