"""What a resumed run must share with the checkpoint it resumes: the model and the data.

Resuming continues the same training, so nothing that defines the model may change: the task
class, the backbone class and every one of its constructor arguments (sizes, activation,
init, forget_bias, heads, dropout, max_len), the embedding width, and the data it was trained
on (its name, content hash and what the task was sized from: vocabulary, window, length,
classes). What steers training from here on may change: the budget (a longer max_steps is
the usual reason to resume), the optimiser and scheduler settings, grad_clip, tbptt_steps
and clip_gradients. Shapes alone cannot tell a tanh RNN from a ReLU RNN or an IRNN, nor the
adding task at T=50 from T=100, so every argument is compared, not only the weights' shapes.
"""

from collections.abc import Iterable

DATASET = ("name", "content_hash")  # saved since seqbench records the data's identity
MISSING = object()


def _shown(value: object) -> str:
    text = "unset" if value is MISSING else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def first_difference(saved: dict, current: dict, keys: Iterable[str] | None = None) -> str:
    """``key: A in the checkpoint, B in this run`` for the first key that differs; ''."""
    for key in sorted(set(saved) | set(current) if keys is None else keys):
        before, now = saved.get(key, MISSING), current.get(key, MISSING)
        if before != now:
            return f"{key}: {_shown(before)} in the checkpoint, {_shown(now)} in this run"
    return ""


def data_difference(saved: dict, current: dict) -> str:
    """The first difference of two data_info dicts. A checkpoint written before the data's
    identity was saved is compared on everything else it holds."""
    older = {key for key in DATASET if key not in saved}
    return first_difference(saved, current, (set(saved) | set(current)) - older)
