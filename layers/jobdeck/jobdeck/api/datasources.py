"""/datasources: the buckets (and prefixes) jobs act in, for anyone signed in (the console's
pickers list them), with what each one's node index holds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import Field

from jobdeck import datasource_overview
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented
from jobdeck.job_schema import Schema

router = Router()


class SyncOut(Schema):
    at: datetime = Field(description="when the sync ended")
    objects: int = Field(description="objects it found")
    created: int = Field(description="objects it indexed that the index did not know")
    changed: int = Field(description="objects whose size, etag or modification time it updated")
    deleted: int = Field(description="index entries it removed (their object was gone)")
    task_id: str | None = Field(None, description="the sync's task (GET /jobs/{sync_job_id}/tasks/{task_id})")


class DatasourceOut(Schema):
    name: str
    bucket: str
    prefix: str = Field(description="'' (the whole bucket) or a prefix ending in /; keys are relative to it")
    objects_indexed: int | None = Field(
        description="objects in the node index: exact after each whole sync, moved by each upload and removal "
        "indexed since; null before the first"
    )
    last_sync: SyncOut | None = Field(description="the last sync of the whole datasource; null before the first")
    sync_job_id: str = Field(description='the "Sync datasource <name>" system job (Run Now syncs at once)')

    @classmethod
    def of(cls, found: datasource_overview.DatasourceOverview) -> DatasourceOut:
        ds, sync = found.datasource, found.last_sync
        return cls(
            name=ds.name,
            bucket=ds.bucket,
            prefix=ds.prefix,
            objects_indexed=found.objects_indexed,
            last_sync=None
            if sync is None
            else SyncOut(
                at=sync.at,
                objects=sync.objects,
                created=sync.counts.get("created", 0),
                changed=sync.counts.get("changed", 0),
                deleted=sync.counts.get("deleted", 0),
                task_id=sync.task_id,
            ),
            sync_job_id=found.sync_job_id,
        )


class DatasourceList(Schema):
    datasources: list[DatasourceOut]


@router.get("/datasources", tags=["datasources"], summary="Every datasource of the stack", responses=documented(200))
def list_datasources() -> DatasourceList:
    caller(router)
    return DatasourceList(datasources=[DatasourceOut.of(d) for d in datasource_overview.every()])


@router.get("/datasources/<name>", tags=["datasources"], summary="One datasource", responses=documented(200, 404))
def get_datasource(name: Annotated[str, Path(min_length=1, max_length=32)]) -> DatasourceOut:
    caller(router)
    return DatasourceOut.of(datasource_overview.one(name))
