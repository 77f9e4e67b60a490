"""One hand-made warehouse (serve_world) shared by the view, query and endpoint tests of this folder."""

from __future__ import annotations

import pytest
import serve_world

from lakehouse_inv.lakehouse.catalog import Catalog


@pytest.fixture(scope="session")
def world_catalog(spark) -> Catalog:
    return serve_world.build(spark, "serve")
