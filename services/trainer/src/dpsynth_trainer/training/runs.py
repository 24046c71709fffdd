"""A job's training runs, and what each is charged.

A run is identified by its `runId` (kept in `progress.json`): an attempt that resumes a checkpoint continues
the run, one that finds no checkpoint starts a new run. The ledger charges every run in addition to the others,
so a new run must report only what it adds. It does so by composing rather than restarting the accounting: its
accountant history begins with the steps every earlier run started (from the job's release log), its noise is
calibrated so that the composition of all of them stays within the approved training epsilon, and each of its
privacy events reports the composition's epsilon minus what the earlier runs account for. Delta is charged once,
by the first run: the composition holds at the one training delta.

Before it trains, a new run also charges each earlier run its share of the composition over every step that run
*started*: a run that died between reporting step k and finishing step k+1 had not yet paid for step k+1.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import EventEmitter
from ..releases import RunRecord
from .accounting import History, PrivacyMeter

MECHANISM = "dp-sgd"


@dataclass(frozen=True)
class RunAccounts:
    run_id: str
    #: The job's runs that started before this one, oldest first.
    earlier: list[RunRecord]

    @property
    def prior_history(self) -> History:
        """Every step the earlier runs started, as accountant history."""
        return [(r.noiseMultiplier, r.sampleRate, r.startedStep) for r in self.earlier if r.startedStep > 0]

    def charge_earlier(self, emitter: EventEmitter, meter: PrivacyMeter, *, delta: float) -> float:
        """Charges each earlier run its share of the composition; returns the epsilon of all of them together."""
        history: History = []
        composed = 0.0
        for position, record in enumerate(r for r in self.earlier if r.startedStep > 0):
            history.append((record.noiseMultiplier, record.sampleRate, record.startedStep))
            before, composed = composed, meter.epsilon(history)
            emitter.privacy(
                mechanism=MECHANISM,
                run_id=record.runId,
                epsilon=max(0.0, composed - before),
                delta=delta if position == 0 else 0.0,
                steps=record.startedStep,
            )
        return composed

    def report(
        self, emitter: EventEmitter, *, epsilon: float, earlier_epsilon: float, delta: float, steps: int
    ) -> None:
        """This run's cumulative charge, given the composition's `epsilon` over every step so far."""
        emitter.privacy(
            mechanism=MECHANISM,
            run_id=self.run_id,
            epsilon=max(0.0, epsilon - earlier_epsilon),
            delta=0.0 if self.prior_history else delta,
            steps=steps,
        )
