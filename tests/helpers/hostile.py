"""Hostile run folders written by hand: every name, reason and value crafted to break out of the
report's HTML, SVG, Markdown tables and code spans. Shared by the hostile-report refusals and
the browser test, which render the same report."""

import json
from pathlib import Path

from seqbench.data import snapshot

BEACON = "http://127.0.0.1:9"  # where a payload that ran would send the browser (see browser test)
RTL = "\u202e"


def attacks(beacon: str) -> dict[str, str]:
    """Hostile values by what they try; ``beacon`` is a URL a payload that ran would reach."""
    return {
        "refresh": f'"><meta http-equiv="refresh" content="0;url={beacon}/refresh">',
        "handler": f"'><img id=injected src=x onerror=\"fetch('{beacon}/onerror')\">",
        "script": f"</script><script>fetch('{beacon}/script');document.title='ran'</script>",
        "cdata": f"]]><svg onload=\"fetch('{beacon}/svg')\"><!-- -->",
        "style": f'<style>@import "{beacon}/style";body{{display:none}}</style>',
        "base": f'<base href="{beacon}/base/"><form action="{beacon}/form">',
        "markdown": "a|b\n# heading\n[link](http://evil.invalid) ![i](http://evil.invalid/i.png)"
        " `code` <b>bold</b> <http://evil.invalid>",
    }


def folder_safe(text: str) -> str:
    """A hostile name that is still one folder name (no slash, no NUL)."""
    return text.replace("/", "\u2215")[:200]


def _run(folder: Path, metrics: dict, config: dict, curves_column: str) -> None:
    (folder / ".hydra").mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / ".hydra" / "config.yaml").write_text(json.dumps(config))
    score = metrics.get("test", {}).get("test/acc", 0.5)
    rows = [f"{step},{step / 10},{score - 0.1 / step}" for step in (2, 4, 6, 8)]
    (folder / "curves.csv").write_text(f'step,time_s,"{curves_column}"\n' + "\n".join(rows) + "\n")
    flow = [f"{step},{d},{10.0**-d * (2 if step else 1)}" for step in (0, 8) for d in range(1, 6)]
    (folder / "gradient_flow.csv").write_text("step,distance,norm\n" + "\n".join(flow) + "\n")


def _provenance(raw_dir: Path, data: str, values: dict[str, str]) -> None:
    folder = raw_dir / data
    folder.mkdir(parents=True)
    (folder / "part.txt").write_text("rows\n")
    files = snapshot.file_hashes(folder)
    record = {"name": data, "kind": "sensor", "rows": {values["markdown"]: 1}, "files": files}
    record |= {"licence": values["script"]}
    record |= {"source": {"type": values["refresh"], "repo": values["handler"]}}
    record |= {"split_rule": values["cdata"] + values["markdown"]}
    record["content_hash"] = snapshot.content_hash(record)  # the facts and the files
    (folder / "provenance.json").write_text(json.dumps(record))


def hostile_runs(root: Path, beacon: str = BEACON) -> dict:
    """runs/ (two datasets, hostile names everywhere), raw/, reports/lessons/ and a stored
    reference; returns the paths and the hostile values that must come out as text."""
    values = attacks(beacon)
    runs, raw, out = root / "runs", root / "raw", root / "reports"
    datasets = [f"adding{values['refresh']}", folder_safe(f"watch{values['handler']}{RTL}$x$")]
    models = [f"rnn{values['script']}", f"lstm{values['markdown']}", f"gru{values['cdata']}"]
    monitor = f"val/acc{values['style']}"
    for d, data in enumerate(datasets):
        for m, model in enumerate(models):
            seed = values["base"] if m == 1 else 0
            metrics = {"data": data, "model": model, "seed": seed, "status": "finished"}
            metrics |= {"monitor": monitor, "mode": "max", "test": {"test/acc": 0.5 + m / 10}}
            metrics |= {"steps": 8, "train_seconds": 1.5, "wandb_group": values["script"]}
            metrics |= {"baseline": 0.25, "baseline_metric": "acc", "num_parameters": 100}
            config = {"data": {"name": data}, "model": {"name": model, values["handler"]: m}}
            config |= {"seed": seed, "logger": {"wandb": {"group": values["refresh"]}}}
            folder = runs / folder_safe(values["handler"] + RTL) / str(d) / str(m)
            _run(folder, metrics, config, monitor)
        failed = {"data": data, "model": models[0], "seed": 1, "status": values["style"]}
        failed |= {"reason": values["script"] + values["markdown"], "study": values["base"]}
        _run(runs / folder_safe(values["cdata"]) / str(d), failed, {}, values["base"])
    _provenance(raw, datasets[1], values)
    lessons = out / "lessons"
    lessons.mkdir(parents=True)
    sample = {"sample": values["script"] + "```\n" + values["markdown"], "self_loss": 2.0}
    text = {"data": values["refresh"], "seed": values["cdata"], "prompt": values["handler"]}
    text |= {"models": {models[0]: sample | {"teacher_forced_loss": 1.5}}}
    text |= {"missing": [values["style"]]}
    (lessons / "text.json").write_text(json.dumps(text))
    rows = [
        {"model": m, "position": p, "latency_ms": 0.1, "state_bytes": 64}
        for m in models
        for p in (1, 64)
    ]
    (lessons / "streaming.json").write_text(json.dumps({"rows": rows, "threads": values["base"]}))
    run = {"window": 4, "loss_by_position": [3.0, 2.5, 2.2, 2.1], "last_loss": 2.1}
    run |= {"increase": {"replace": [0.5, 0.01], "shuffle": [0.4, 0.0]}}
    run |= {"effective_context": {"replace": 4, "shuffle": 2}}
    context = {"data": values["refresh"], "windows": values["script"], "threads": values["cdata"]}
    context |= {"distances": {"4": [1, 2]}, "seconds": 1.0}
    context |= {"models": {m: {"seeds": {values["handler"]: run, "1": run}} for m in models[:2]}}
    (lessons / "context.json").write_text(json.dumps(context))
    reference = {
        "generated": values["refresh"],
        "datasets": {
            datasets[1]: {
                "metric": "test/acc",
                "order_steps": list(reversed(models)),
                "seeds": 1,
                "steps": values["handler"],
                "device": values["markdown"],
            }
        },
    }
    (out / "reference").mkdir()
    (out / "reference" / "full.json").write_text(json.dumps(reference))
    return {
        "runs": runs,
        "raw": raw,
        "out": out,
        "datasets": datasets,
        "models": models,
        "values": values,
    }
