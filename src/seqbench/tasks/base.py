"""The LightningModule every task shares: embed the inputs, run any backbone, apply a head.

Optimisation is manual because Lightning 2 dropped ``truncated_bptt_steps``: a long batch is
cut into chunks of ``tbptt_steps`` time steps, the hidden state is carried from chunk to chunk
but detached (so gradients stop at the chunk boundary), and each chunk that carries a loss
gets its own optimiser step. The gradient norm is measured before clipping and logged, so
exploding gradients are visible, not just silently clipped: steps whose norm exceeds
``grad_clip`` are counted, and ``clip_gradients=False`` keeps counting them but stops the
rescaling (the clipping-off arm of the activation study).

Nothing in a step waits for the device: the clipped-step count, the largest norm and the
first non-finite loss are kept in device tensors. Reading one (``.item()``, ``float()``, an
``if`` on a tensor) makes the host wait for a GPU to drain its queue, which cost more than a
small model's whole step there. A CPU has no queue, so there the loss is checked every step;
on an accelerator every ``trainer.log_every_n_steps`` steps and before every checkpoint, so
no checkpoint ever holds weights from after a non-finite loss.
"""

import inspect
import math
from collections.abc import Callable, Iterator

import lightning as L
import torch
from torch import Tensor, nn
from torchmetrics import MetricCollection

from seqbench.config.memory import hidden_size_for_state, steps
from seqbench.errors import ConfigError
from seqbench.models import detach_state
from seqbench.models.size import count_parameters, hidden_size_for_budget


class SequenceTask(L.LightningModule):
    """Subclasses define the input layer, the head, the loss and the metrics."""

    kind = ""  # what the report calls the task (text, sensor, adding, copy)
    monitor, mode = "val/loss", "min"  # picks the best checkpoint; what sweeps optimise
    per_step_targets = True  # False: one target per sequence, read from the last step
    check_finite_every: int | None = None  # steps between loss checks; None: see on_fit_start

    def __init__(
        self,
        backbone: Callable[..., nn.Module],
        optimizer: Callable[..., torch.optim.Optimizer],
        data_info: dict,
        scheduler: Callable[..., torch.optim.lr_scheduler.LRScheduler] | None = None,
        embed_dim: int = 64,
        param_budget: int | None = None,
        grad_clip: float | None = 1.0,
        tbptt_steps: int | None = None,
        clip_gradients: bool = True,
        match: str = "params",
        state_budget: int | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.data_info = data_info
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.grad_clip, self.tbptt_steps = grad_clip, tbptt_steps
        self.clip_gradients = clip_gradients
        self.inputs = self.build_inputs(embed_dim)
        kwargs = {k: v for k, v in backbone.keywords.items() if k != "hidden_size"}
        self.match, self.state_budget = match, state_budget
        hidden = backbone.keywords.get("hidden_size") or self._size_for(
            backbone, embed_dim, param_budget
        )
        self.backbone = backbone.func(input_size=embed_dim, hidden_size=hidden, **kwargs)
        self.head = self.build_head(hidden)
        self.num_parameters = count_parameters(self)
        target = f"{backbone.func.__module__}.{backbone.func.__qualname__}"
        self.save_hyperparameters(
            {
                "task": f"{type(self).__module__}.{type(self).__qualname__}",
                "backbone": {"_target_": target, "hidden_size": hidden, **kwargs},
                "embed_dim": embed_dim,
                "data_info": data_info,
                "num_parameters": self.num_parameters,
                "grad_clip": grad_clip,
                "tbptt_steps": tbptt_steps,
                "clip_gradients": clip_gradients,
                "match": match,
                "state_budget": state_budget,
            }
        )
        self.val_metrics = self.build_metrics()
        self.test_metrics = self.build_metrics()
        # device-side tallies (see the module docstring); not part of the weights
        self.register_buffer("_clipped", torch.zeros((), dtype=torch.long), persistent=False)
        self.register_buffer("_max_norm", torch.zeros(()), persistent=False)
        self.register_buffer("_bad_step", torch.full((), -1, dtype=torch.long), persistent=False)
        self.register_buffer("_bad_loss", torch.zeros(()), persistent=False)

    def _size_for(self, backbone: Callable, embed_dim: int, budget: int | None) -> int:
        """The hidden size whose whole model (input, backbone, head) is closest to budget, or
        with ``match="state"`` the largest whose backbone carries at most ``state_budget``
        floats per sequence over the data's sequence length."""
        kwargs = {k: v for k, v in backbone.keywords.items() if k != "hidden_size"}
        multiple = math.lcm(2, kwargs.get("num_heads", 1))
        if self.match == "state":
            if self.state_budget is None:
                raise ValueError("task.match=state needs task.state_budget (floats per sequence)")
            return hidden_size_for_state(
                lambda hidden: backbone.func(input_size=embed_dim, hidden_size=hidden, **kwargs),
                self.state_budget,
                steps(self.data_info),
                multiple=multiple,
            )
        if budget is None:
            raise ValueError("set model.hidden_size or task.param_budget")

        def build(hidden: int) -> nn.Module:
            net = backbone.func(input_size=embed_dim, hidden_size=hidden, **kwargs)
            return nn.ModuleList([self.inputs, net, self.build_head(hidden)])

        return hidden_size_for_budget(build, budget, multiple=multiple)

    # --- what a task defines -------------------------------------------------------------
    def build_inputs(self, embed_dim: int) -> nn.Module:
        raise NotImplementedError

    def build_head(self, hidden: int) -> nn.Module:
        raise NotImplementedError

    def build_metrics(self) -> MetricCollection:
        raise NotImplementedError

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        raise NotImplementedError

    def summarise(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """Derived metrics (bpc, perplexity...) from the computed ones."""
        return values

    # --- the model -------------------------------------------------------------------------
    def forward(self, x: Tensor, state=None) -> tuple[Tensor, object]:
        """Inputs (B, T, ...) -> head outputs for every step (B, T, ...) and the final state."""
        hidden, state = self.backbone(self.inputs(x), state)
        return self.head(hidden), state

    def _outputs_for(self, outputs: Tensor, lengths: Tensor | None = None) -> Tensor:
        """What the loss and metrics read: every step, or one per sequence at its last step,
        which for padded sequences of different ``lengths`` is each one's own last step (the
        models are causal: outputs there never saw the padding after it)."""
        if self.per_step_targets:
            if lengths is not None:
                raise ValueError("per-step targets with padded sequences need a mask; not built")
            return outputs
        if lengths is None:
            return outputs[:, -1]
        return outputs[torch.arange(len(outputs), device=outputs.device), lengths - 1]

    def _chunks(
        self, x: Tensor, y: Tensor, lengths: Tensor | None = None
    ) -> Iterator[tuple[Tensor, Tensor | None]]:
        """Time chunks for truncated BPTT; targets are None where a chunk carries no loss."""
        if self.tbptt_steps and lengths is not None:
            raise ConfigError(
                f"task.tbptt_steps={self.tbptt_steps} cannot cut sequences of different "
                "lengths (each ends in another chunk); set task.tbptt_steps=null"
            )
        size = self.tbptt_steps or x.shape[1]
        starts = range(0, x.shape[1], size)
        for start in starts:
            piece = slice(start, start + size)
            if self.per_step_targets:
                yield x[:, piece], y[:, piece]
            else:
                yield x[:, piece], y if start == starts[-1] else None

    # --- training --------------------------------------------------------------------------
    @property
    def clipped_steps(self) -> int:
        """Optimiser steps whose gradient norm exceeded ``grad_clip``."""
        return int(self._clipped)

    @property
    def max_grad_norm(self) -> float:
        return float(self._max_norm)

    def on_fit_start(self) -> None:
        if self.check_finite_every is None:
            on_cpu = self.device.type == "cpu"
            self.check_finite_every = 1 if on_cpu else max(1, self.trainer.log_every_n_steps)

    def _note_loss(self, loss: Tensor) -> None:
        """Remember the first non-finite loss and its step, on the device; raise when due."""
        value = loss.detach().float()
        first = ~torch.isfinite(value) & (self._bad_step < 0)
        self._bad_step = torch.where(
            first, self._bad_step.new_full((), self.global_step), self._bad_step
        )
        self._bad_loss = torch.where(first, value, self._bad_loss)
        if self.global_step % (self.check_finite_every or 1) == 0:
            self.raise_if_not_finite()

    def raise_if_not_finite(self) -> None:
        """One host sync: the error for the first non-finite training loss, if there was one."""
        step = int(self._bad_step)
        if step >= 0:
            raise FloatingPointError(
                f"training loss is {float(self._bad_loss)} at step {step}; lower "
                "optimizer.lr or set task.grad_clip (checkpoints so far are kept)"
            )

    def training_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        """``batch``: (x, y), or (x, y, lengths) for padded sequences of different lengths."""
        x, y, *rest = batch
        lengths = rest[0] if rest else None
        optimizer, scheduler = self.optimizers(), self.lr_schedulers()
        limit = self.grad_clip if self.grad_clip else math.inf
        clip_at = limit if self.clip_gradients else math.inf
        state, losses, norms = None, [], []
        for xs, ys in self._chunks(x, y, lengths):
            outputs, state = self(xs, state)
            state = detach_state(state)
            if ys is None:
                continue
            loss = self.loss(self._outputs_for(outputs, lengths), ys)
            self._note_loss(loss)
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            norms.append(torch.nn.utils.clip_grad_norm_(self.parameters(), clip_at))
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.detach())
        # one log call per value and batch: self.log costs ~0.1 ms, a chunk's value would
        # only overwrite the previous one, and the per-step cost is what the overhead
        # benchmark (benchmarks/overhead.py) holds to 5 % of a plain PyTorch loop
        norms_ = torch.stack(norms)
        clipped = norms_ > limit
        self._clipped += clipped.sum()
        self._max_norm = torch.maximum(self._max_norm, norms_.max().float())
        self.log("train/loss", torch.stack(losses).mean(), on_step=True, prog_bar=True)
        self.log("train/grad_norm", norms_.max(), on_step=True, on_epoch=False)
        self.log("train/clipped", clipped.float().mean(), on_step=True, on_epoch=False)

    def configure_optimizers(self):
        optimizer = self.optimizer_factory(self.parameters(), **self._fused_if_supported())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler_factory(optimizer)}

    def _fused_if_supported(self) -> dict:
        """``fused=True`` for an optimiser that offers it on this device (AdamW, Adam, SGD on
        CUDA): one kernel for the whole update instead of one per parameter group."""
        factory = self.optimizer_factory
        func = getattr(factory, "func", factory)
        keywords = getattr(factory, "keywords", {})
        if self.device.type != "cuda" or "fused" in keywords:
            return {}
        return {"fused": True} if "fused" in inspect.signature(func).parameters else {}

    # --- evaluation ------------------------------------------------------------------------
    def _evaluate(self, batch: tuple[Tensor, ...], metrics: MetricCollection) -> None:
        x, y, *lengths = batch
        outputs, _ = self(x)
        extra = self.metric_inputs(x, y)
        self.update_metrics(metrics, self._outputs_for(outputs, *lengths), y, **extra)

    def metric_inputs(self, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """What some metrics read beyond outputs and targets (e.g. each example's group),
        by keyword: ``MetricCollection.update`` hands a metric only the keywords its own
        ``update`` names, so the others never see them."""
        return {}

    def update_metrics(
        self, metrics: MetricCollection, outputs: Tensor, targets: Tensor, **extra: Tensor
    ) -> None:
        metrics.update(outputs, targets, **extra)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch, self.val_metrics)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics)

    def _log_metrics(self, split: str, metrics: MetricCollection) -> None:
        values = self.summarise(metrics.compute())  # torchmetrics syncs across ranks here
        metrics.reset()
        scalars = {f"{split}/{k}": v.float() for k, v in values.items() if v.numel() == 1}
        # torchmetrics already synced the values across ranks; sync_dist only averages equal
        # numbers (exactly) and keeps Lightning from warning about epoch-level logging
        self.log_dict(scalars, prog_bar=split == "val", sync_dist=True)
        self.extra_results = {k: _json_list(v) for k, v in values.items() if v.numel() > 1}

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val", self.val_metrics)

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test", self.test_metrics)

    # --- exact resume ----------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        self.raise_if_not_finite()  # before the file is written: the last good one survives
        checkpoint["torch_rng_state"] = torch.get_rng_state()
        checkpoint["clipped_steps"] = self.clipped_steps
        checkpoint["max_grad_norm"] = self.max_grad_norm

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"])
        self._clipped.fill_(checkpoint.get("clipped_steps", 0))
        self._max_norm.fill_(checkpoint.get("max_grad_norm", 0.0))


def _json_list(values: Tensor) -> list:
    """A tensor as a JSON-ready list: NaN (nothing measured, e.g. a test group a limited
    ``budget.test_batches`` never reached) becomes null, which JSON has and NaN is not."""

    def clean(value):
        if isinstance(value, list):
            return [clean(v) for v in value]
        return None if isinstance(value, float) and math.isnan(value) else value

    return clean(values.tolist())
