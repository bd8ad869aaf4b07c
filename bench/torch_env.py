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
