"""Ghost clipping's first backward pass, cut down to what the per-sample gradient norms need.

Opacus' ghost clipping (`DPTensorFastGradientClipping.backward`) runs two backward passes: the first only so
that the layers' hooks compute each row's gradient norm from their activations and output gradients, the second
with each row's loss scaled by its clipping factor. Opacus runs the first as a plain `loss.backward()`, which
also computes every weight's gradient, only to clear them (`zero_grad`) before the second: for full fine-tuning
that is half of the pass (a linear layer's backward is one matmul for its input's gradient, one for its
weight's). Here the first pass asks autograd for the gradient of a zero scalar, the probe, added to the output
of every layer that has trainable weights: reaching it needs every such layer's output gradient, so every norm
hook fires exactly as before, and no weight gradient, which autograd then skips. The second pass is Opacus' own.
"""

from __future__ import annotations

from typing import Any

import torch
from opacus.grad_sample import GradSampleHooksFastGradientClipping
from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping, DPTensorFastGradientClipping


class NormsOnlyFirstPass(DPTensorFastGradientClipping):
    """Opacus' ghost-clipping loss, with a first backward pass that computes no weight gradient."""

    def __init__(self, loss: DPTensorFastGradientClipping, probe: torch.Tensor) -> None:
        super().__init__(loss.module, loss.optimizer, loss.loss_per_sample, loss.loss_reduction)
        self.probe = probe

    def backward(self) -> None:
        per_sample = self.loss_per_sample
        reduced = per_sample.mean(dim=0) if self.loss_reduction == "mean" else per_sample.sum(dim=0)
        torch.autograd.grad(reduced, [self.probe], retain_graph=True, allow_unused=True)  # the norm hooks run
        self.optimizer.zero_grad()  # as Opacus does: p.grad holds nothing of this batch's before the second pass
        coefficient = self.module.get_clipping_coef().to(per_sample.device)
        self.module.disable_hooks()
        try:
            torch.sum(coefficient * per_sample).backward()
        finally:
            self.module.enable_hooks()
            self.probe.grad = None


class GhostCriterion:
    """Wraps the criterion `make_private` returns for ghost clipping; its losses take `NormsOnlyFirstPass`."""

    def __init__(
        self, criterion: DPLossFastGradientClipping, hooks: GradSampleHooksFastGradientClipping, model: torch.nn.Module
    ) -> None:
        self.criterion = criterion
        self.probe = torch.zeros((), device=next(model.parameters()).device, requires_grad=True)
        for module in hooks.iterate_submodules(model):  # the layers Opacus hooks, each with a norm sampler
            # Opacus' remove_hooks (Trainable.cleanup) removes these handles with its own.
            hooks.autograd_grad_sample_hooks.append(module.register_forward_hook(self._add_probe))

    def _add_probe(self, module: torch.nn.Module, _inputs: Any, output: Any) -> Any:
        if module.training and torch.is_grad_enabled() and isinstance(output, torch.Tensor):
            return output + self.probe  # a 0-dim float32 zero: the output keeps its dtype and its values
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> NormsOnlyFirstPass:
        return NormsOnlyFirstPass(self.criterion(*args, **kwargs), self.probe)
