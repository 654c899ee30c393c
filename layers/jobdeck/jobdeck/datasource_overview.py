"""What GET /datasources shows: each datasource of the stack, what its node index holds and what its
last sync found (store.nodes keeps both)."""

from __future__ import annotations

from dataclasses import dataclass

from jobdeck.config import Settings
from jobdeck.datasources import Datasource
from jobdeck.errors import NotFound
from jobdeck.store import nodes as node_index
from jobdeck.system_jobs import sync_job_id


@dataclass(frozen=True)
class DatasourceOverview:
    datasource: Datasource
    objects_indexed: int | None  # None: nothing indexed or synced yet
    last_sync: node_index.SyncRecord | None
    sync_job_id: str


def every() -> list[DatasourceOverview]:
    known = Settings.from_env().datasources
    indexes = node_index.datasource_indexes(known)
    return [_overview(ds, indexes[name]) for name, ds in known.items()]


def one(name: str) -> DatasourceOverview:
    found = Settings.from_env().datasources.get(name)
    if found is None:
        raise NotFound(f"no datasource {name!r}")
    return _overview(found, node_index.datasource_indexes([name])[name])


def _overview(ds: Datasource, index: node_index.DatasourceIndex) -> DatasourceOverview:
    return DatasourceOverview(ds, index.objects, index.last_sync, sync_job_id(ds.name))
