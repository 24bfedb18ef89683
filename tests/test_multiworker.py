"""MultiWorkerMirroredStrategy for real: two worker processes on localhost (CPU)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

WORKER = os.path.join(os.path.dirname(__file__), "multiworker_worker.py")


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_end_with_the_same_weights(tmp_path):
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    processes = []
    for index in range(2):
        env = dict(
            os.environ,
            CUDA_VISIBLE_DEVICES="",
            TF_CONFIG=json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, WORKER, str(tmp_path)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for p in processes:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out[-2000:]
    w0, w1 = (np.load(tmp_path / f"worker{i}.npz") for i in range(2))
    assert len(w0.files) == len(w1.files) > 10
    for key in w0.files:
        np.testing.assert_allclose(w0[key], w1[key], rtol=1e-5, atol=1e-6)
    # Each worker saw other data, so equal weights mean the gradients were all-reduced; and
    # the weights did move during the 3 steps.
    initial = np.load(tmp_path / "initial0.npz")
    moved = [not np.allclose(initial[k], w0[k]) for k in w0.files]
    assert sum(moved) > len(moved) // 2
