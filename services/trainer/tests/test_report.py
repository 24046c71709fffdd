import copy
from pathlib import Path

import pytest

from contract_fixtures import fixture_paths, load_fixture
from dpsynth_trainer.contract import ContractViolation, TrainingSummary, validate_instance
from dpsynth_trainer.label_counts import LabelMix
from dpsynth_trainer.report import render_html
from dpsynth_trainer.report.build import privacy_section
from dpsynth_trainer.report.svg import histogram_chart, line_chart, nice_ticks


def fixtures(kind: str) -> list[Path]:
    return fixture_paths(kind, "report.")


def load(path: Path) -> dict:
    return load_fixture(path)


@pytest.mark.parametrize("path", fixtures("valid"), ids=lambda p: p.name)
def test_valid_report_fixtures_pass_the_contract(path):
    validate_instance("report", load(path))


@pytest.mark.parametrize("path", fixtures("invalid"), ids=lambda p: p.name)
def test_invalid_report_fixtures_fail_the_contract(path):
    with pytest.raises(ContractViolation):
        validate_instance("report", load(path))


def test_every_text_is_escaped_into_the_html():
    report = copy.deepcopy(load(fixtures("valid")[0]))
    attack = '<script>alert("x")</script>'
    label = next(iter(report["examples"]))
    report["examples"][label] = [attack, "a & b"]
    report["notes"] = [attack]
    report["jobId"] = attack
    html = render_html(report)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "a &amp; b" in html


def test_the_html_is_self_contained_and_says_who_may_read_it():
    html = render_html(load(fixtures("valid")[0]))
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert html.count("<svg") == 2  # loss versus epsilon, word-count histograms
    assert "for the dataset owner and admins only" in html.lower()


def _summary(epsilon) -> TrainingSummary:
    return TrainingSummary(
        runId="run-1",
        noiseMultiplier=0.0 if epsilon == "inf" else 0.9,
        sampleRate=0.1,
        steps=10,
        epochs=1.0,
        maxGradNorm=1.0,
        accountant="none" if epsilon == "inf" else "prv",
        epsilon=epsilon,
        delta=0.0 if epsilon == "inf" else 9e-6,
        clipping="none" if epsilon == "inf" else "ghost",
    )


def test_the_privacy_section_adds_mechanisms_up():
    counts = LabelMix({"a": 1.0}, "dp-counts", epsilon=0.5, delta=1e-6, sigma=8.0)
    section = privacy_section(_summary(2.5), counts)
    assert section["total"] == {"epsilon": 3.0, "delta": pytest.approx(1e-5)}
    assert [m["mechanism"] for m in section["mechanisms"]] == ["dp-sgd", "gaussian-label-counts"]
    assert "(3, 1e-05)-differentially private" in section["statement"]
    assert "NOT differentially private" in section["statement"]
    uniform = privacy_section(_summary(2.5), LabelMix({"a": 1.0}, "uniform"))
    assert [m["mechanism"] for m in uniform["mechanisms"]] == ["dp-sgd"]


def test_a_non_private_run_says_so():
    section = privacy_section(_summary("inf"), LabelMix({"a": 1.0}, "exact-counts"))
    assert section["total"]["epsilon"] == "inf"
    assert section["mechanisms"] == []
    assert "not private" in section["statement"]


def test_charts_draw_what_they_are_given():
    assert nice_ticks(0.0, 7.3) == [0, 2, 4, 6, 8]
    line = line_chart([(0.5, 3.0), (1.0, 2.5), (2.0, 2.0)], title="t<", x_label="ε", y_label="loss")
    assert line.count("<circle") == 3 and "t&lt;" in line
    bars = histogram_chart([0, 1, 2], {"real": [3, 1], "synthetic": [0, 2]}, title="h", x_label="x", y_label="y")
    assert bars.count("<rect") == 4 + 2  # one bar per bin and series, one legend swatch per series
    assert "no points recorded" in line_chart([], title="t", x_label="x", y_label="y")


def test_a_non_private_report_charts_loss_per_step():
    report = copy.deepcopy(load(fixtures("valid")[0]))
    report["curve"] = [{"step": s, "epsilon": None, "loss": 3.0 - 0.1 * s} for s in range(1, 6)]
    report["privacy"]["mechanisms"] = []
    report["privacy"]["total"] = {"epsilon": "inf", "delta": 0.0}
    validate_instance("report", report)
    html = render_html(report)
    assert "Training loss per step" in html and html.count("<circle") == 5
    assert '<td class="num">∞</td>' in html


def test_the_report_leads_with_its_verdict_then_what_went_wrong():
    report = copy.deepcopy(load(fixtures("valid")[0]))
    report["notes"] = ["Only 30 of the 40 rows asked for could be generated."]
    html = render_html(report)
    verdict, notes, utility = (html.index(marker) for marker in ("Verdict:", "Only 30 of the 40", "Utility: train"))
    assert verdict < notes < utility
    assert report["summary"]["headline"].replace("'", "&#x27;") in html
