"""What every backbone shares: the size checks and the capabilities it declares.

Lessons and tools ask a backbone what it can do (``attends``, ``streams_with_cache``,
``max_positions``) instead of probing for attributes or testing its class, so a new backbone
states its nature once, here, and every lesson treats it right.
"""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from torch import Tensor, nn

Shapes = dict[str, tuple[int, ...]]
REGISTERED: dict[str, type["Backbone"]] = {}  # name -> class, in the order they are defined


class Backbone(nn.Module):
    """Base class of the backbones: ``forward(x, state)`` and ``step(x_t, state)``.

    A subclass that sets ``name`` registers itself: a new backbone is one module in
    ``seqbench/models/`` (found when the package is imported) and one ``conf/model/<name>.yaml``.
    """

    name: ClassVar[str | None] = None
    """The backbone's registry name (``seqbench.models.BACKBONES``); None for a shared base."""

    attends: ClassVar[bool] = False
    """True: every position reads the earlier ones directly (attention), so gradients reach
    each step without a product over time; False: one carried state links the steps."""

    streams_with_cache: ClassVar[bool] = False
    """True: the streaming state grows with every position (a key/value cache); False: a
    fixed-size state (the recurrent hidden and cell state)."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is not None:
            if name in REGISTERED and REGISTERED[name] is not cls:
                raise TypeError(f"two backbones are named {name!r}: {REGISTERED[name]} and {cls}")
            REGISTERED[name] = cls

    def __init__(self, dropout: float, **sizes: int) -> None:
        """Refuse sizes below 1 and dropout outside [0, 1), naming every size checked."""
        super().__init__()
        if min(sizes.values()) < 1:
            names = list(sizes)
            listed = ", ".join(names[:-1]) + f" and {names[-1]}"
            got = ", ".join(str(v) for v in sizes.values())
            raise ValueError(f"{listed} must all be >= 1, got {got}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")

    @property
    def max_positions(self) -> int | None:
        """The most positions a sequence or stream may reach; None for no limit."""
        return None

    def state_size(self, positions: int = 1) -> int:
        """The floats one sequence's streaming state holds after ``positions`` steps (what
        ``step`` carries): fixed for a recurrent model, growing with ``positions`` for one
        that streams with a cache (``streams_with_cache``)."""
        raise NotImplementedError(f"{type(self).__name__} does not say its state size")

    def kept_for_backward(self, steps: int) -> int | None:
        """The floats per position (every layer together) a training pass over ``steps``
        positions keeps for backward, for a backbone whose own tensors outgrow what its
        weights suggest; None: the generic estimate of :mod:`seqbench.config.memory` holds."""
        return None

    @classmethod
    def sizes_in(cls, shapes: Shapes) -> dict[str, int] | None:
        """The constructor sizes that weight ``shapes`` (names relative to the backbone) fix,
        read without building anything, so a checkpoint whose hyperparameters ask for more
        than its weights hold is refused before a module exists; None: not this backbone's
        weights."""
        return {}


def through_layers(
    blocks: Sequence[nn.Module],
    h: Tensor,
    state: Sequence[Any] | None,
    run: Callable[[nn.Module, Tensor, Any], tuple[Tensor, Any]],
) -> tuple[Tensor, list]:
    """``h`` through each block in turn, block i from its own ``state[i]`` (None: every block
    from its zero state), as ``run(block, h, its_state) -> (h, new_state)``; the new states."""
    new = []
    for i, block in enumerate(blocks):
        h, carried = run(block, h, None if state is None else state[i])
        new.append(carried)
    return h, new
