"""One ``train`` per run folder at a time: an advisory lock on ``<state>/train.lock``.

Two ``larq-bcd train`` of the same recipe (a second terminal, a ``nohup`` started twice)
would train the same epochs and write the same backup and CSV log over each other. The
lock is ``flock`` on an open file, so the kernel releases it when its process ends however
it ends (a kill leaves no stale lock); the file is removed on a normal release. Each worker
of a multi-worker run takes its own (``train-worker<N>.lock``). Where ``fcntl`` is missing
(Windows) no lock is taken.
"""

import contextlib
import errno
import json
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class RunLocked(RuntimeError):
    """Another process is training into the same run folder."""


def lock_name(strategy=None, tf_config=None):
    """``train.lock``, or ``train-worker<N>.lock`` for worker N of a multi-worker run."""
    if strategy != "multiworker":
        return "train.lock"
    text = tf_config if tf_config is not None else os.environ.get("TF_CONFIG") or "{}"
    try:
        task = json.loads(text).get("task", {})
    except (ValueError, AttributeError):
        raise ValueError(f"TF_CONFIG is not a JSON object with a 'task': {text!r}") from None
    return f"train-{task.get('type', 'worker')}{task.get('index', 0)}.lock"


@contextlib.contextmanager
def run_lock(folder, name="train.lock"):
    """Hold the lock on ``folder/name`` for the ``with`` block; ``RunLocked`` (naming the
    folder and the holder's process id) if another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = os.path.join(folder, name)
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                handle.close()
                raise
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunLocked(
                f"{folder}: another `larq-bcd train` is training this run (process {holder}); "
                f"wait for it or stop it, then rerun to continue (lock: {path})"
            ) from None
        # The holder before us may have removed the file after we opened it: lock the file
        # that is at ``path`` now, or a third process could lock a new one beside ours.
        try:
            same = os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # before the unlock: see the check above
        handle.close()
