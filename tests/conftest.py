import pytest

from tests.helpers import IN_CI, MNIST_DIR, listening_addresses, running_app

FINER_SLOW_MARKS = ("server", "browser", "training")  # each of these is also `slow` (pyproject.toml)


def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.get_closest_marker(name) for name in FINER_SLOW_MARKS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist_dir():
    """The offline MNIST beside the checkout; in CI it must be there (fail, never skip)."""
    if not (MNIST_DIR / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        (pytest.fail if IN_CI else pytest.skip)(f"MNIST not found at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def app():
    """One real `python -m demo` (default weights, default host) shared by the server tests."""
    with running_app() as app:
        assert listening_addresses(app.port) == {"0100007F"}, "the app must bind 127.0.0.1 only by default"
        yield app


@pytest.fixture(scope="session")
def client(app):
    from gradio_client import Client
    return Client(app.url, verbose=False)

