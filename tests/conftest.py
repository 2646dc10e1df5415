import pytest

from tests.helpers import (
    CHROMIUM_ARGS,
    MNIST_DIR,
    chromium_or_fail,
    listening_addresses,
    missing,
    running_app,
    watched_page,
)

FINER_SLOW_MARKS = ("server", "browser", "training")  # each of these is also `slow` (pyproject.toml)


def pytest_collection_modifyitems(items):
    for item in items:
        if any(item.get_closest_marker(name) for name in FINER_SLOW_MARKS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist_dir():
    """The offline MNIST beside the checkout; in CI it must be there (fail, never skip)."""
    if not (MNIST_DIR / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
        missing(f"MNIST not found at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def app():
    """One real `python -m demo` (default weights, default host) shared by the server tests."""
    with running_app() as app:
        assert listening_addresses(app.port) == {"0100007F"}, "the app must bind 127.0.0.1 only by default"
        yield app


@pytest.fixture(scope="session")
def app_without_presets():
    """`python -m demo --no-presets` (the default model only), shared by the tests that need no
    other model and change nothing the others see."""
    with running_app("--no-presets") as app:
        yield app


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian chromium (Playwright) for every test that drives a browser; each
    test opens its own context or page in it."""
    executable = chromium_or_fail()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def en_page(chromium, app):
    """A desktop page in English on the session's app, one per test module (helpers.watched_page:
    no console error may come)."""
    with watched_page(chromium, app.url) as page:
        yield page


@pytest.fixture(scope="session")
def client(app):
    from gradio_client import Client
    return Client(app.url, verbose=False)

