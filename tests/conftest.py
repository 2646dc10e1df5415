import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: `model`, `demo`, `train`

from tests.helpers import IN_CI, MNIST_DIR  # noqa: E402


@pytest.fixture(scope="session")
def mnist_dir():
    """The offline MNIST beside the checkout; in CI it must be there (fail, never skip)."""
    if not (MNIST_DIR / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        (pytest.fail if IN_CI else pytest.skip)(f"MNIST not found at {MNIST_DIR}")
    return MNIST_DIR
