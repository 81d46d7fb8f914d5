"""The streaming lesson: see README.md beside this file. ``Streamer`` and ``stream`` are
importable from here, as the README's example does (``from seqbench.lessons.streaming
import Streamer``), and imported only then: the CLI reads this folder's command without
loading torch."""


def __getattr__(name: str) -> object:
    if name in ("Streamer", "stream"):
        from seqbench.lessons.streaming import streamer

        return getattr(streamer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
