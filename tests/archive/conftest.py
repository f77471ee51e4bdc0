from __future__ import annotations

from pathlib import Path

import pytest
from archive_testutil import build_library


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    build_library(root)
    return root
