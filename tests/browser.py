"""Serve the real app with uvicorn on a free loopback port and drive it with Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(database_url: str, var_dir: Path, *, port: int | None = None,
              workers: int = 1) -> tuple[subprocess.Popen, str]:
    """Start `judging serve` as an operator would; return the process and its base URL once it answers."""
    port = port or free_port()
    env = {**os.environ, "JUDGING_DATABASE_URL": database_url, "JUDGING_VAR_DIR": str(var_dir)}
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / "serve.log"
    # A file, not a pipe: nobody reads a pipe while the tests run, and a full one (~64 KiB of access
    # log) would stop the server mid-test.
    with log.open("ab") as output:
        process = subprocess.Popen([str(Path(sys.executable).parent / "judging"), "serve", "--port", str(port),
                                    "--workers", str(workers)],
                                   env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the app did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.2)


@contextlib.contextmanager
def served_app(database_url: str, var_dir: Path) -> Iterator[str]:
    """The app served for the length of the block."""
    process, base = start_app(database_url, var_dir)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a server still finishing requests would keep its connections
            process.kill()
            process.wait()


class Serving:
    """What the ``served`` fixture hands a test (tests/conftest.py marks the tests that use it)."""

    def __call__(self, database_url: str, var_dir: Path):
        """The app served for the length of a ``with`` block, which gets its base URL."""
        return served_app(database_url, var_dir)

    # The process itself, for tests that kill and restart it.
    start = staticmethod(start_app)
    free_port = staticmethod(free_port)


@contextlib.contextmanager
def launched_chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def browser_page(*, width: int = 1280, height: int = 900):
    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        yield context.new_page()


class Chromium:
    """What the ``browser`` fixture hands a test (tests/conftest.py marks the tests that use it)."""

    # A page of its own Chromium for the length of a ``with`` block.
    page = staticmethod(browser_page)
    # One Chromium for many windows (a module's tests share it).
    launched = staticmethod(launched_chromium)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
