"""Training throughput of this code against an earlier git ref: the speed-up, measured.

    larq-bcd throughput reactnet_a resnet20 rep_resnet20 --against-ref 52045a4 \
        --batch-size 256 --output zoo/benchmarks

The ref is checked out in a temporary git worktree and both codes are timed by this code's
harness (``throughput.measure``: its models and layers come from the code under test), in
fresh processes, alternately, ``repeats`` times (a shared machine's load then hits both alike).
Each child presents itself as the ``larq-bcd`` command, so each code chooses its TensorFlow
kernels as its own command would (the ref needs ``larq_bcd.training.recipe.build_model``).
The first model is the control: each model's time per image is divided by the control's in
the same run, and the speed-up is the ref's ratio over this code's (1.5x: a step of that
model costs a third less here, relative to the control). Choose a control neither code
changed. Writes ``train_throughput_against_ref.{json,md}`` (or ``--name``).
"""

import json
import os
import subprocess
import sys
import tempfile

import larq_bcd
from larq_bcd._utils import write_report

import numpy as np

#: The repository this package runs from (a git checkout, for ``--against-ref``).
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The measuring code both codes run (this code's).
HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "throughput.py")


def _git(*args, cwd=REPOSITORY):
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError("--against-ref needs git on PATH") from None
    if done.returncode:
        raise ValueError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


#: The measurement, run in a child process whose ``larq_bcd`` is the code under test.
_CHILD = """
import json, runpy, sys
harness, output, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.argv = ["larq-bcd"]  # the code under test then sets up TensorFlow as its command would
# An editable install's finder would fill modules the code under test lacks from this code.
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
import larq_bcd  # now: run_path sets sys.argv[0] to the harness' path while it runs
try:
    measure = runpy.run_path(harness)["measure"]
except ImportError as error:
    sys.exit(f"this code's harness cannot run on that code: {error}")
with open(output, "w") as handle:
    json.dump(measure(**options), handle)
"""


def _throughput(code, models, output, options):
    """Results of this code's ``throughput.measure(models, **options)`` run on the code in
    folder ``code``; ``output``: a scratch file for them."""
    env = {**os.environ, "PYTHONPATH": code}
    if larq_bcd.ONEDNN_SET_HERE:
        env.pop("TF_ENABLE_ONEDNN_OPTS")  # each code chooses its own TensorFlow kernels
    command = [sys.executable, "-c", _CHILD, HARNESS, output, json.dumps({"models": list(models), **options})]
    done = subprocess.run(command, cwd=code, env=env, capture_output=True, text=True)
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"throughput in {code} failed: {tail[0]}")
    with open(output) as handle:
        return json.load(handle)


def summarize(ref, runs_ref, runs_head):
    """Per model: relative time per image (to the control) of each code, and the speed-up."""
    rows = []
    for index, result in enumerate(runs_head[0]):
        ref_cost = [run[index]["time_per_image_to_first"] for run in runs_ref]
        head_cost = [run[index]["time_per_image_to_first"] for run in runs_head]
        speedups = [r / h for r, h in zip(ref_cost, head_cost)]
        ref_rate = [run[index]["images_per_second"] for run in runs_ref]
        head_rate = [run[index]["images_per_second"] for run in runs_head]
        absolute = [h / r for r, h in zip(ref_rate, head_rate)]  # neighbouring runs, alternately
        rows.append(
            {
                "name": result["name"],
                "ref_to_control": ref_cost,
                "head_to_control": head_cost,
                "speedups": speedups,
                "speedup": float(np.mean(speedups)),
                "ref_images_per_second": ref_rate,
                "head_images_per_second": head_rate,
                "absolute_speedups": absolute,
                "absolute_speedup": float(np.mean(absolute)),
            }
        )
    return {"ref": ref, "control": rows[0]["name"], "rows": rows}


def markdown(summary, command=""):
    lines = [
        f"### Training throughput: this code against `{summary['ref']}`",
        "",
        f"`{command}`" if command else "",
        "",
        f"Time per image relative to the control ({summary['control']}) in the same run, per repeat;",
        "speed-up = the ref's relative time over this code's (mean over repeats). A change that",
        "speeds up every model (the control too) shows only in the absolute columns: images/s of",
        "each code per repeat, and their ratio (this code over the ref, runs next to each other).",
        "",
        f"| model | {summary['ref']} | this code | speed-up per repeat | speed-up | "
        f"images/s {summary['ref']} | images/s this code | absolute speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["rows"]:
        lines.append(
            f"| {r['name']} | {' '.join(f'{v:.2f}' for v in r['ref_to_control'])} | "
            f"{' '.join(f'{v:.2f}' for v in r['head_to_control'])} | "
            f"{' '.join(f'{v:.2f}x' for v in r['speedups'])} | {r['speedup']:.2f}x | "
            f"{' '.join(f'{v:.0f}' for v in r['ref_images_per_second'])} | "
            f"{' '.join(f'{v:.0f}' for v in r['head_images_per_second'])} | {r['absolute_speedup']:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def measure(ref, models, output, *, repeats=2, options=None, command="", name=None, log=print):
    """Run both codes alternately and write the summary; returns the written paths.

    ``options``: the keyword arguments of ``throughput.measure`` both runs get
    (``{"batch_size": 256}``, ...); ``name``: of the written files (default
    ``train_throughput_against_ref``).
    """
    if len(models) < 2:
        raise ValueError("--against-ref needs a control model first and at least one model to compare")
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ValueError:
        raise ValueError(f"--against-ref {ref!r}: not a commit of the git repository {REPOSITORY}") from None
    runs_ref, runs_head = [], []
    with tempfile.TemporaryDirectory() as scratch:
        worktree = os.path.join(scratch, "ref")
        _git("worktree", "add", "--detach", worktree, commit)
        try:
            for repeat in range(repeats):
                for code, runs, tag in ((worktree, runs_ref, ref), (REPOSITORY, runs_head, "this code")):
                    log(f"repeat {repeat + 1}/{repeats}: {tag}")
                    scratch_file = os.path.join(scratch, f"{'ref' if code == worktree else 'head'}_{len(runs)}.json")
                    runs.append(_throughput(code, models, scratch_file, options or {}))
        finally:
            _git("worktree", "remove", "--force", worktree)
    summary = summarize(ref, runs_ref, runs_head)
    summary["commit"] = commit
    return write_report(
        output,
        name or "train_throughput_against_ref",
        {"command": command, **summary},
        markdown(summary, command),
        on_this_host=True,
    )
