import os
import socket
import subprocess
import sys
import time
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
