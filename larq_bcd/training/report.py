"""Collect training runs into ``zoo/cifar10.md``, an accuracy-curve PNG and the best model.

    larq-bcd report runs/*_cifar10 --output zoo --name cifar10

Reads each run's ``results.json`` and ``history_*.csv`` (written by ``larq-bcd train``);
copies the best binary run's ``model.keras`` to ``<output>/<model>_<name>.keras``. Text
written by hand goes in a notes file (``--notes zoo/cifar10_notes.md``), appended verbatim,
so that regenerating the report keeps it.
"""

import os
import shutil
import statistics

from larq_bcd._utils import atomic_output, positive_int, read_json

#: ``report --in-progress`` also compares the mean test top-1 over this many epochs up to the budget.
MEAN_EPOCHS = 5
#: ... and estimates the hours still to go from the median seconds of this many last epochs.
PACE_EPOCHS = 10
#: ... and compares each run with the first, epoch by epoch, over this many epochs up to the budget.
PAIRED_EPOCHS = 20
#: ... and repeats the comparison at every multiple of this many epochs below the budget.
HISTORY_EVERY = 25
#: The curves chart draws each epoch faint and the ``MEAN_EPOCHS`` mean bold past this many epochs.
SMOOTH_AFTER = 30
#: What a run folder's ``results.json`` is, in the error that names a broken one.
RESULTS = "a results.json of `larq-bcd train`"


def _epochs(run):
    """The per-epoch rows of a run folder over all its steps' CSV logs, in order (a rerun epoch
    counted once)."""
    from larq_bcd.training.recipe import read_history

    return [
        row
        for tag in ("step1", "step2", "train")
        for row in read_history(os.path.join(run, f"history_{tag}.csv"), columns=("val_accuracy",))
    ]


def _curve(epochs):
    accuracy = [float(row["val_accuracy"]) for row in epochs]
    return list(range(1, len(accuracy) + 1)), accuracy


def _train_curve(epochs):
    """Training top-1 per epoch (Keras' running mean over the epoch's augmented batches), or
    ``None`` when a row lacks it."""
    try:
        return [float(row["accuracy"]) for row in epochs]
    except (KeyError, TypeError, ValueError):
        return None


def curve(run):
    """``(epochs, test top-1)`` of a run folder over all its steps' CSV logs (a rerun epoch
    counted once)."""
    return _curve(_epochs(run))


def _hours_to_go(epochs, planned_epochs):
    if not epochs:
        return None
    pace = statistics.median(float(row.get("seconds") or 0.0) for row in epochs[-PACE_EPOCHS:])
    return max(0, planned_epochs - len(epochs)) * pace / 3600


def hours_to_go(run, planned_epochs):
    """Hours the epochs still to train would take at the run's recent pace: (planned - reached)
    x the median seconds of its last ``PACE_EPOCHS`` epochs; ``None`` before its first epoch."""
    return _hours_to_go(_epochs(run), planned_epochs)


def trailing_mean(values, window):
    """The mean of each value with up to ``window - 1`` values before it: the steadier curve that
    ``report --in-progress`` compares and draws (epoch ``e``'s entry averages epochs
    ``max(1, e - window + 1)``..``e``)."""
    return [statistics.fmean(values[max(0, i - window + 1) : i + 1]) for i in range(len(values))]


def same_dataset(dataset, paper_dataset):
    """Whether a recipe's ``dataset`` (a folder or a tfds name) is a paper's, by name:
    ``data/cifar10`` and ``cifar10`` are "CIFAR-10"; ``sample`` (the embedded one) is not."""

    def key(name):
        return "".join(c for c in name.lower() if c.isalnum())

    return key(os.path.basename(os.path.normpath(dataset))) == key(paper_dataset)


def _check_folder(path):
    """A run or state folder named on the command line must exist (a typo is not skipped)."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: no such folder")


def collect(runs):
    from larq_bcd.training.recipe import Recipe

    rows = []
    for run in runs:
        _check_folder(run)
        path = os.path.join(run, "results.json")
        if not os.path.exists(path):
            print(f"skipping {run}: no results.json (not finished)")
            continue
        result = read_json(path, RESULTS, keys=("recipe", "steps", "top1", "test_examples", "command"))
        recipe = Recipe.from_saved(result["recipe"], path)
        steps = result["steps"]
        rows.append(
            {
                "run": run,
                "model": recipe.model,
                "float_twin": recipe.model_args.get("quantization") == "float",
                "width": recipe.model_args.get("width_multiplier", 1.0),
                "top1": result["top1"],
                "epochs": sum(s["epochs"] for s in steps.values()),
                "minutes": round(sum(s["seconds"] for s in steps.values()) / 60, 1),
                "images_per_second": [s["images_per_second"] for s in steps.values()],
                "test_examples": result["test_examples"],
                "command": result["command"],
                "curve": curve(run),
            }
        )
    return rows


def read_notes(path):
    """The Markdown of a notes file (``None``: no notes), or a FileNotFoundError naming it."""
    if path is None:
        return None
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--notes {path}: no such file")
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _notes_flag(notes_path):
    return f" --notes {notes_path}" if notes_path else ""


def write(rows, output, name, notes_path=None):
    notes = read_notes(notes_path)  # before anything is written: a bad path leaves no file
    os.makedirs(output, exist_ok=True)
    best = max((r for r in rows if not r["float_twin"]), key=lambda r: r["top1"], default=None)
    lines = [
        f"# {name}: measured training results",
        "",
        "CIFAR-10 here is the JPEG re-encoding in `shared/datasets/cifar10-jpeg.tar.gz` (median PSNR",
        "about 31 dB against the originals): accuracy on it is close to, not equal to, accuracy on the",
        "original CIFAR-10. This is a small CPU budget on 32x32 images, not the papers' ImageNet setting.",
        "Images/s are wall-clock on a 2-core machine that other jobs may have shared: compare rows",
        "trained side by side, not across sessions. The per-image training cost of each model, measured",
        "side by side in one run, is in `benchmarks/train_throughput_32.md`",
        "(`larq-bcd throughput`).",
        "",
        "| model | binary? | width | top-1 | epochs | test top-1 per epoch (%) | wall time (min) | train images/s | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: -r["top1"]):
        lines.append(
            f"| {r['model']} | {'float twin' if r['float_twin'] else 'binary'} | {r['width']} | "
            f"{r['top1']:.2%} | {r['epochs']} | {' '.join(f'{100 * a:.1f}' for a in r['curve'][1])} | {r['minutes']} | "
            f"{', '.join(str(v) for v in r['images_per_second'])} | `{r['command']}` |"
        )
    lines += [
        "",
        f"Test set: {rows[0]['test_examples'] if rows else 0} images.",
        "",
        f"![validation accuracy per epoch]({name}_curves.png)",
        "",
    ]
    lines.append(
        "Made by `larq-bcd report " + " ".join(r["run"] for r in rows) + f" --output {output} --name {name}"
        f"{_notes_flag(notes_path)}`."
    )
    if best:
        target = os.path.join(output, f"{best['model']}_{name}.keras")
        shutil.copyfile(os.path.join(best["run"], "model.keras"), target + ".tmp")
        os.replace(target + ".tmp", target)
        lines += [
            "",
            f"Best binary model: `{os.path.basename(target)}` ({best['top1']:.2%}); it takes raw 0-255 RGB 32x32 images and outputs logits.",
        ]
    if notes:
        lines += ["", notes]
    with atomic_output(os.path.join(output, f"{name}.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    _plot(rows, os.path.join(output, f"{name}_curves.png"))


def progress(states):
    """Runs still under way, from their state folders (``state_dir``: ``recipe.json`` and
    ``history_*.csv``): model, epochs reached of the recipe's, test top-1 per epoch."""
    from larq_bcd import zoo
    from larq_bcd.training.recipe import Recipe

    rows = []
    for state in states:
        _check_folder(state)
        recipe_path = os.path.join(state, "recipe.json")
        if not os.path.exists(recipe_path):
            raise FileNotFoundError(f"{state}: no recipe.json (not the state folder of a run)")
        recipe = Recipe.from_state(recipe_path)
        history = _epochs(state)  # the CSV logs, read once
        seconds = sum(float(row.get("seconds") or 0.0) for row in history)
        command_path = os.path.join(state, "command.txt")
        command = None
        if os.path.exists(command_path):
            with open(command_path) as handle:
                command = handle.read().strip()
        final = None  # the saved model's top-1, once ``train`` has finished the run
        results_path = os.path.join(state, "results.json")
        if os.path.exists(results_path):
            final = float(read_json(results_path, RESULTS, keys=("top1",))["top1"])
        paper = zoo.config(recipe.model).paper
        planned = recipe.epochs + (recipe.step1_epochs if recipe.two_step else 0)
        float_twin = recipe.model_args.get("quantization") == "float"
        rows.append(
            {
                "run": state,
                "model": recipe.model,
                "float_twin": float_twin,
                "planned_epochs": planned,
                "curve": _curve(history),
                "train_curve": _train_curve(history),
                "hours": round(seconds / 3600, 2),
                "hours_to_go": _hours_to_go(history, planned),
                "final": final,
                "command": command,
                # The paper's binary model, on the paper's dataset: not the float twin's.
                "paper": None if float_twin or not paper or paper.top1 is None else (paper.top1, paper.dataset),
                # ... drawn on the chart only when the run trains on that dataset.
                "paper_dataset": bool(paper) and same_dataset(recipe.dataset, paper.dataset),
            }
        )
    return rows


def _name(row):
    return f"{row['model']} (float twin)" if row["float_twin"] else row["model"]


def write_progress(rows, output, name, command, notes_path=None, budget=None):
    """``<name>.md`` and ``<name>_curves.png``: runs under way compared at an equal budget,
    beside the papers' final numbers, epoch by epoch against the first run, the same at every
    ``HISTORY_EVERY`` epochs below the budget, then the notes file.

    The budget is the longest one every run reached, or ``budget`` epochs: then a run still
    short of it shows "–" at that budget (a ranking whose finished rows should not be pulled
    back to the epoch a newly started run is at)."""
    notes = read_notes(notes_path)
    if budget is None:
        budget = min((len(r["curve"][1]) for r in rows), default=0)
    else:
        budget = positive_int("--budget", budget)
    first = max(1, budget - MEAN_EPOCHS + 1)  # the epochs that the mean column averages: first..budget
    short = [r for r in rows if len(r["curve"][1]) < budget]
    if budget == 0:  # a run that has not finished its first epoch
        waiting = [r["model"] for r in rows if not r["curve"][1]]
        compared = [
            f"No equal budget yet: {len(waiting)} of {len(rows)} runs ({', '.join(waiting)}) have not finished an",
            "epoch. The table shows how far each got beside the paper's",
        ]
    elif short:
        compared = [
            f"The table compares the runs after **{budget} epochs** (test top-1 on the 10,000 test images",
            f"after that epoch; a run that has not reached it shows –: {len(short)} of {len(rows)}), beside",
            "how far each got and the paper's",
        ]
    else:
        compared = [
            f"Every run has trained at least **{budget} epochs**; the table compares them there (test",
            "top-1 on the 10,000 test images after that epoch), beside how far each got and the paper's",
        ]
    steadier, at_budget_label, mean_label = [], "the budget", "mean"
    if budget:
        steadier = [
            "Test top-1 can swing by points from one epoch to the next while the learning rate is high:",
            f"the mean over epochs {first}-{budget} is steadier than the one epoch.",
        ]
        at_budget_label, mean_label = f"epoch {budget}", f"mean, epochs {first}-{budget}"
    under_way = [r for r in rows if len(r["curve"][1]) < r["planned_epochs"]]
    if under_way:
        title = "runs under way, compared at an equal budget"
        caveat = [
            f"Runs still short of their planned epochs: {len(under_way)} of {len(rows)}. Their learning rate",
            "has not decayed to its end yet, so their numbers are not final and the ranking may change.",
        ]
    else:
        title = "finished runs, compared at an equal budget"
        caveat = ["Every run has finished its planned epochs: these are their final test accuracies."]
    lines = [
        f"# {name}: {title}",
        "",
        *compared,
        "number after its full schedule, on the paper's dataset (an ImageNet number does not compare",
        "with a CIFAR-10 run). *Saved model* is the finished run's exported model evaluated by `train`",
        "(its `results.json`).",
        *caveat,
        *steadier,
        f"*Hours to go*: the epochs still to train at the median time of the run's last {PACE_EPOCHS} epochs",
        "(a machine shared with other jobs, or a faster one, changes it).",
        "",
        f"| model | epochs reached / planned | top-1 at {at_budget_label} | {mean_label} | best so far | last | "
        "saved model | training hours | hours to go | paper (full schedule) | command (trains or continues it) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        accuracy = r["curve"][1]
        reached = 0 < budget <= len(accuracy)
        at_budget = f"{100 * accuracy[budget - 1]:.2f}%" if reached else "–"
        mean = f"{100 * _mean_at(accuracy, budget):.2f}%" if reached else "–"
        best = f"{100 * max(accuracy):.2f}%" if accuracy else "–"
        last = f"{100 * accuracy[-1]:.2f}%" if accuracy else "–"
        final = f"{100 * r['final']:.2f}%" if r["final"] is not None else "–"
        paper = f"{r['paper'][0]}% ({r['paper'][1]})" if r["paper"] else "–"
        model = _name(r)
        continue_with = f"`{r['command']}`" if r["command"] else "–"
        to_go = f"{r['hours_to_go']:.1f}" if r["hours_to_go"] is not None else "–"
        lines.append(
            f"| {model} | {len(accuracy)} / {r['planned_epochs']} | {at_budget} | {mean} | {best} | {last} | {final} | "
            f"{r['hours']} | {to_go} | {paper} | {continue_with} |"
        )
    lines += _paired(rows, budget)
    lines += _history(rows, budget)
    lines += ["", f"![test top-1 per epoch]({name}_curves.png)", "", f"Made by `{command}`."]
    if notes:
        lines += ["", notes]
    with atomic_output(os.path.join(output, f"{name}.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    _plot(rows, os.path.join(output, f"{name}_curves.png"))


def _window(budget, epochs):
    """The slice of a per-epoch list that holds the last ``epochs`` epochs up to ``budget``."""
    return slice(max(0, budget - epochs), budget)


def _mean_at(accuracy, budget):
    """Mean test top-1 over the ``MEAN_EPOCHS`` epochs up to ``budget``."""
    return statistics.fmean(accuracy[_window(budget, MEAN_EPOCHS)])


def _versus(run, base, budget, train):
    """``run`` against ``base`` over the ``PAIRED_EPOCHS`` epochs up to ``budget``: the per-epoch
    test top-1 differences in points, and the mean training top-1 difference (None unless
    ``train``)."""
    window = _window(budget, PAIRED_EPOCHS)

    def differences(accuracy, base_accuracy):
        return [100 * (a - b) for a, b in zip(accuracy[window], base_accuracy[window])]

    test = differences(run["curve"][1], base["curve"][1])
    fit = statistics.fmean(differences(run["train_curve"], base["train_curve"])) if train else None
    return test, fit


def _paired(rows, budget):
    """Markdown lines: each run against the first, epoch by epoch, over the last
    ``PAIRED_EPOCHS`` epochs up to ``budget``: the mean of (its top-1 - the first run's top-1)
    in points, and in how many of those epochs it was ahead; the same mean for training top-1
    when every log has it. Empty when fewer than two runs, the first among them, reached the
    budget."""
    reached = [r for r in rows if 0 < budget <= len(r["curve"][1])]
    if len(reached) < 2 or reached[0] is not rows[0]:
        return []
    first = max(1, budget - PAIRED_EPOCHS + 1)
    train = all(r.get("train_curve") for r in reached)
    lines = [
        "",
        f"Each run against {_name(rows[0])} (the first row), epoch by epoch over epochs {first}-{budget}:",
        "the runs are at the same point of the same schedule at each epoch, so what the schedule does to",
        "all of them cancels (each run's own swings do not). Neighbouring epochs are not independent:",
        "this is no significance test.",
    ]
    if train:
        lines += [
            "*Training top-1* is Keras' running mean over each epoch's augmented training batches: it swings",
            "far less than test top-1 and says how well a model fits, not how well it generalises.",
        ]
    lines += [
        "",
        f"| model | mean difference, epochs {first}-{budget} (points) | ahead in |"
        + (" training top-1, mean difference (points) |" if train else ""),
        "|---|---|---|" + ("---|" if train else ""),
    ]
    for run in reached[1:]:
        test, fit = _versus(run, rows[0], budget, train)
        ahead = sum(d > 0 for d in test)
        line = f"| {_name(run)} | {statistics.fmean(test):+.2f} | {ahead} of {len(test)} epochs |"
        if train:
            line += f" {fit:+.2f} |"
        lines.append(line)
    return lines


def _history(rows, budget):
    """Markdown lines: the same comparison at the earlier budgets ``HISTORY_EVERY``,
    ``2 * HISTORY_EVERY``, ... below ``budget``: each run's mean over ``MEAN_EPOCHS`` epochs and
    each run against the first over ``PAIRED_EPOCHS`` epochs, up to each. Empty unless every
    run (two or more) reached ``budget`` and ``budget`` exceeds ``HISTORY_EVERY``."""
    budgets = list(range(HISTORY_EVERY, budget, HISTORY_EVERY))
    if len(rows) < 2 or not budgets or any(len(r["curve"][1]) < budget for r in rows):
        return []
    train = all(r.get("train_curve") for r in rows)
    names = [_name(r) for r in rows]
    base = names[0]
    lines = [
        "",
        f"The same comparison at earlier budgets, every {HISTORY_EVERY} epochs, from the same logs: each run's",
        f"mean test top-1 over the {MEAN_EPOCHS} epochs up to the budget, then each run minus {base}, epoch by",
        f"epoch over the {PAIRED_EPOCHS} epochs up to it: the mean difference in points (in how many epochs it was",
        "ahead)" + (" / the same mean for training top-1." if train else "."),
        "",
        "| budget | " + " | ".join(names + [f"{n} - {base}" for n in names[1:]]) + " |",
        "|---|" + "---|" * (2 * len(rows) - 1),
    ]
    for at in budgets:
        means = [f"{100 * _mean_at(r['curve'][1], at):.2f}%" for r in rows]
        versus = []
        for run in rows[1:]:
            test, fit = _versus(run, rows[0], at, train)
            cell = f"{statistics.fmean(test):+.2f} ({sum(d > 0 for d in test)}/{len(test)})"
            versus.append(cell + (f" / {fit:+.2f}" if train else ""))
        lines.append(f"| {at} | " + " | ".join(means + versus) + " |")
    return lines


def _plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    # Long runs: each epoch thin, the mean of the last MEAN_EPOCHS epochs thick (the table's mean).
    smooth = max((len(r["curve"][1]) for r in rows), default=0) > SMOOTH_AFTER
    for r in rows:
        epochs, accuracy = r["curve"]
        twin = r.get("float_twin", False)
        label = r["model"] + (" (float twin)" if twin else "")
        style = "--" if twin else "-"
        if smooth:
            (line,) = ax.plot(epochs, accuracy, linestyle=style, linewidth=0.8, alpha=0.35)
            ax.plot(
                epochs,
                trailing_mean(accuracy, MEAN_EPOCHS),
                linestyle=style,
                linewidth=2,
                color=line.get_color(),
                label=label,
            )
        else:
            (line,) = ax.plot(epochs, accuracy, marker="o", linestyle=style, label=label)
        if r.get("paper") and r.get("paper_dataset"):
            top1 = r["paper"][0]
            ax.axhline(
                top1 / 100, linestyle=":", linewidth=1.2, color=line.get_color(), label=f"{label}: paper, {top1}%"
            )
    if smooth:
        planned = max(r.get("planned_epochs", 0) for r in rows)
        ax.set_xlim(0, max(planned, *(len(r["curve"][1]) for r in rows)))  # how far through their schedule
        ax.set_title(f"thin: each epoch; thick: mean of the last {MEAN_EPOCHS} epochs", fontsize=9)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test top-1")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    from larq_bcd.cli import module_main

    module_main("report")
