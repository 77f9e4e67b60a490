"""Browser-test set-up: a fixture warehouse, the dashboard started as a subprocess on a free port, and a headless
Debian Chromium driven by Selenium. Without ``chromium`` + ``chromedriver`` the browser tests skip with one line."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixture_warehouse import ROOT, build

INSTALL_HINT = "browser tests need Chromium: apt-get update && apt-get install -y chromium chromium-driver"
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]


@dataclass
class Dashboard:
    url: str
    project: Path  # working directory: conf/ and the run state live here
    warehouse: Path
    startup_s: float
    process: subprocess.Popen

    @property
    def policies_file(self) -> Path:
        return self.project / "conf" / "base" / "policies.yml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _project(root: Path, warehouse: Path) -> Path:
    """A project folder with a copy of conf/base whose pipeline.yml points at ``warehouse``."""
    shutil.copytree(ROOT / "conf" / "base", root / "conf" / "base")
    pipeline = root / "conf" / "base" / "pipeline.yml"
    pipeline.write_text(pipeline.read_text().replace("warehouse_dir: warehouse", f"warehouse_dir: {warehouse}"))
    return root


def start_dashboard(project: Path, warehouse: Path) -> Dashboard:
    port = _free_port()
    env = {
        **os.environ,
        "LAKEHOUSE_INV_DASHBOARD_CLI": f"{sys.executable} {Path(__file__).with_name('stub_cli.py')} {warehouse}",
    }
    env.pop("LAKEHOUSE_INV_CONF", None)
    env.pop("LAKEHOUSE_INV_ENV", None)
    command = [sys.executable, "-m", "lakehouse_inv.cli", "dashboard", "--port", str(port), "--conf-dir", "conf"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"dashboard exited: {process.stdout.read().decode(errors='replace')}")
        if time.perf_counter() - started > 60:
            process.kill()
            raise RuntimeError("dashboard did not answer within 60 s")
        time.sleep(0.2)
    return Dashboard(url, project, warehouse, time.perf_counter() - started, process)


def stop_dashboard(dashboard: Dashboard) -> None:
    dashboard.process.terminate()
    try:
        dashboard.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        dashboard.process.kill()


@pytest.fixture(scope="session")
def browser_available() -> None:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip(INSTALL_HINT)
    pytest.importorskip("selenium", reason="pip install -e '.[dashboard]'")
    pytest.importorskip("streamlit", reason="pip install -e '.[dashboard]'")


@pytest.fixture(scope="module")  # servers and browser stop with the module
def dashboard(browser_available, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    root = tmp_path_factory.mktemp("dashboard")
    warehouse = root / "warehouse"
    build(warehouse)
    running = start_dashboard(_project(root / "project", warehouse), warehouse)
    yield running
    stop_dashboard(running)


@pytest.fixture(scope="module")  # servers and browser stop with the module
def empty_dashboard(browser_available, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    root = tmp_path_factory.mktemp("dashboard_empty")
    running = start_dashboard(_project(root / "project", root / "warehouse"), root / "warehouse")
    yield running
    stop_dashboard(running)


@pytest.fixture(scope="module")  # servers and browser stop with the module
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")  # servers and browser stop with the module
def browser(browser_available, downloads: Path, tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver or a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()
