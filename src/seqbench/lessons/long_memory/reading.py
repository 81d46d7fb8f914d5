"""The long-memory lesson's sentences: the study's claims (the LSTM solves adding, the tanh
RNN does not; who solves copy), each checked against every seed at every length T."""

import statistics

from seqbench.page.formats import number

ADDING_TARGET, RNN_FAILS_ABOVE, COPY_SOLVED = 0.01, 0.1, 0.99


def memory_verdicts(task: str, by_length: dict[int, dict[str, list[float]]]) -> list[str]:
    """The long-memory study's claims (the LSTM solves adding, the tanh RNN does not; who
    solves copy), each checked against every seed at every sequence length T."""
    lines = []
    for t in sorted(by_length):
        values = by_length[t]
        per = {m: statistics.fmean(v) for m, v in values.items()}
        if task != "adding":
            solved = [m for m, v in per.items() if v > COPY_SOLVED]
            lines.append(
                f"Copy, T={t}: recall accuracy "
                + ", ".join(f"{m} {number(v)}" for m, v in per.items())
                + (f"; solved (> 0.99) by {', '.join(solved)}." if solved else "; none solved.")
            )
            continue
        checks = []
        if "lstm" in per:
            below = sum(v < ADDING_TARGET for v in values["lstm"])
            verdict = "target met" if below == len(values["lstm"]) else "target missed"
            checks.append(
                f"LSTM {number(per['lstm'])}, below 0.01 on {below} of {len(values['lstm'])} "
                f"seeds ({verdict})"
            )
        if "rnn" in per:
            above = sum(v > RNN_FAILS_ABOVE for v in values["rnn"])
            checks.append(
                f"tanh RNN {number(per['rnn'])}, above 0.1 on {above} of {len(values['rnn'])}"
            )
        others = [f"{m} {number(v)}" for m, v in per.items() if m not in ("lstm", "rnn")]
        lines.append(f"Adding, T={t}: " + "; ".join(checks + others) + ".")
    return lines
