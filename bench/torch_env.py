"""What the PyTorch yardsticks (mlp_torch.py, cnn_torch.py) share: the
environment each configuration's child process runs in."""
import os


def child_env(extra):
    env = dict(os.environ)
    # Set on some processors to work around old OpenBLAS builds; they select a
    # slower kernel, so a benchmark unsets both together, in its own process only.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env.update(extra)
    return env


def run_child(cmd, name, extra_env):
    """Runs one configuration in a fresh process, echoes its JSON lines, and
    returns its torch_epoch records (a crash is reported as a torch_error line)."""
    import json
    import subprocess

    records = []
    proc = subprocess.run(cmd, env=child_env(extra_env), stdout=subprocess.PIPE, text=True)
    for line in proc.stdout.splitlines():
        print(line, flush=True)
        rec = json.loads(line)
        if rec["kind"] == "torch_epoch":
            records.append(rec)
    if proc.returncode != 0:
        print(json.dumps({"kind": "torch_error", "config": name, "rc": proc.returncode}), flush=True)
    return records
