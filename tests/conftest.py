import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).with_name("fixtures")
CORPUS_FILE = ROOT / "knowledge" / "corpus" / "changsha-ai-2025.txt"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


@contextmanager
def running(command: list[str], port: int):
    """A server process for the length of a fixture, listening on `port` on loopback."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def copy_index(built: Path, target: Path) -> Path:
    """A copy of a built data folder, without its sessions."""
    import shutil

    shutil.copytree(built, target, ignore=shutil.ignore_patterns("sessions.sqlite3*"))
    return target


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, built_data_dir):
    """One `policy-assistant serve` for a test module, started from a copy of the built index."""
    live = LiveServer(copy_index(built_data_dir, tmp_path_factory.mktemp("live") / "data")).start()
    yield live
    live.stop()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def chromium(extra_flags: tuple[str, ...] = ()):
    """Debian's chromium driven by playwright (.ci/run installs it); never a browser a tool downloads."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("chromium is not installed (.ci/run installs it)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS + list(extra_flags), headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on loopback for one test module (.ci/run installs it)."""
    import shutil

    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    with running([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", str(tmp_path_factory.mktemp("redis"))], port):
        yield f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="session")
def embedders():
    from knowledge.embeddings import load_embedders

    return load_embedders("e5,use")


@pytest.fixture(scope="session")
def policy_kb(tmp_path_factory, embedders):
    """The bundled corpus indexed once for the whole session (read-only use)."""
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase(tmp_path_factory.mktemp("kb"), embedders)
    kb.ensure_corpus()
    return kb


@pytest.fixture(scope="session")
def searcher(policy_kb):
    from knowledge.retrieval import HybridSearcher

    return HybridSearcher(policy_kb)


class LiveServer:
    """`policy-assistant serve` in its own process, on a free loopback port."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, log_path: Path | None = None) -> None:
        import os

        self.data_dir, self.port = data_dir, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or data_dir.parent / f"server-{self.port}.log"
        self.env = {**os.environ, "POLICY_DATA_DIR": str(data_dir), **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "LiveServer":
        import urllib.request

        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([str(VENV_BIN / "policy-assistant"), "serve", "--host", "127.0.0.1",
                                         "--port", str(self.port)], env=self.env, stdout=log, stderr=log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("server did not become healthy")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def built_data_dir(policy_kb):
    """A data folder with the index already built; servers start from copies of it."""
    return policy_kb.data_dir


@pytest.fixture
def fresh_data_dir(built_data_dir, tmp_path):
    return copy_index(built_data_dir, tmp_path / "data")
