"""Datasources: the stack's bucket and two an operator attached (one whole, one a prefix of its
bucket), each with its own events, index, sync job and users' homes."""

from __future__ import annotations

import io
import zipfile

import pytest

from jobdeck import jobs, store, system_jobs, tasks, user_jobs
from jobdeck.access import Principal
from jobdeck.datasources import InvalidDatasources, parse
from jobdeck.domain import ActionStep, EventSource, EventTrigger, NodeFilter, TaskStatus
from jobdeck.errors import Forbidden, InvalidJob
from jobdeck.runner import run_message
from jobdeck.store import nodes as node_index
from jobdeck.user_jobs import UserJobKind
from tests.support import Api, make_job
from tests.test_events import Pipeline

DATASOURCES = "photos=photos-bucket,archive=archive-bucket/2024/"
pytestmark = pytest.mark.datasources(DATASOURCES)


@pytest.fixture
def stack(aws):
    """A moto account with the two extra datasources attached (the module's mark), and the system
    jobs registered."""
    system_jobs.ensure()
    return aws


def _indexed(datasource: str) -> list[str]:
    return [node.key for node in node_index.indexed_nodes(datasource)]


def _run_all(run_queue) -> None:
    while messages := run_queue.receive():
        for message in messages:
            run_message(message["Body"], message["MessageId"])


def test_an_upload_to_each_datasource_is_indexed_in_its_own_index_and_nowhere_else(stack, s3):
    pipeline = Pipeline(stack)
    pipeline.runs.receive()  # what registering the system jobs queued
    s3.put_object(Bucket="photos-bucket", Key="cats/tom.jpg", Body=b"tom")
    s3.put_object(Bucket="archive-bucket", Key="2024/q1.csv", Body=b"q1,q1")
    s3.put_object(Bucket="archive-bucket", Key="2023/old.csv", Body=b"old")  # outside archive's prefix
    pipeline.pump()

    assert pipeline.failures == []
    assert _indexed("photos") == ["cats/tom.jpg"]
    assert _indexed("archive") == ["q1.csv"]  # relative to the prefix; 2023/ belongs to no datasource
    assert _indexed("default") == []
    listed = {d["name"]: d for d in Api()("GET", "/datasources", user="alice").json()["datasources"]}
    assert list(listed) == ["default", "photos", "archive"]
    assert (listed["archive"]["bucket"], listed["archive"]["prefix"]) == ("archive-bucket", "2024/")
    assert [listed[n]["objects_indexed"] for n in listed] == [None, 1, 1]

    s3.delete_object(Bucket="archive-bucket", Key="2024/q1.csv")
    pipeline.pump()
    assert _indexed("archive") == [] and _indexed("photos") == ["cats/tom.jpg"]
    assert Api()("GET", "/datasources/archive").json()["objects_indexed"] == 0


def test_each_datasource_has_its_sync_job_whose_counts_the_api_shows(stack, s3, run_queue):
    expected = {"sync-datasource": "default", "sync-datasource-photos": "photos", "sync-datasource-archive": "archive"}
    for job_id, name in expected.items():
        job = store.get_job(job_id)
        assert job.label == f"Sync datasource {name}" and job.schedule.expression == "0 * * * *"
        assert job.actions[0].parameters["datasource"] == name
    s3.put_object(Bucket="photos-bucket", Key="a.jpg", Body=b"a")
    s3.put_object(Bucket="photos-bucket", Key="b.jpg", Body=b"b")
    s3.put_object(Bucket="archive-bucket", Key="2024/c.csv", Body=b"c")
    s3.put_object(Bucket="archive-bucket", Key="other/d.csv", Body=b"d")
    run_queue.receive()
    started = {job_id: tasks.run_now(job_id) for job_id in expected}
    _run_all(run_queue)

    for job_id, task in started.items():
        assert store.get_task(job_id, task.id).status is TaskStatus.FINISHED
    assert (_indexed("photos"), _indexed("archive"), _indexed("default")) == (["a.jpg", "b.jpg"], ["c.csv"], [])
    photos = Api()("GET", "/datasources/photos").json()
    assert photos["objects_indexed"] == 2 and photos["sync_job_id"] == "sync-datasource-photos"
    sync = photos["last_sync"]
    assert (sync["objects"], sync["created"], sync["changed"], sync["deleted"]) == (2, 2, 0, 0)
    assert sync["task_id"] == started["sync-datasource-photos"].id


def test_a_compress_job_reads_one_datasource_and_writes_into_another(stack, s3, run_queue):
    for name in ("tom.jpg", "felix.jpg"):
        s3.put_object(Bucket="photos-bucket", Key=f"cats/{name}", Body=name.encode())
    steps = [
        ActionStep("nodes.list", {"datasource": "photos", "prefix": "cats/"}),
        ActionStep("archive.compress", {"datasource": "archive", "destination": "exports/cats.zip"}),
        ActionStep("tree.copy", {"datasource": "default", "destination": "copies/"}),
    ]
    jobs.create(make_job("cats-to-archive", None, actions=steps))
    run_queue.receive()
    task = tasks.run_now("cats-to-archive")
    _run_all(run_queue)

    done = store.get_task("cats-to-archive", task.id)
    assert done.status is TaskStatus.FINISHED, done.message
    made = s3.get_object(Bucket="archive-bucket", Key="2024/exports/cats.zip")["Body"].read()
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        assert sorted(archive.namelist()) == ["felix.jpg", "tom.jpg"]
        assert archive.read("tom.jpg") == b"tom.jpg"
    # The archive node carries its datasource: the copy found it in archive and wrote it to default.
    copied = s3.get_object(Bucket=stack.buckets["DatasourceBucket"], Key="copies/cats.zip")["Body"].read()
    assert copied == made


def test_a_step_filter_keeps_the_nodes_of_one_datasource(stack, s3):
    """A job on the uploads of two datasources, whose copy step takes the photos' only."""
    uploads = [EventTrigger(EventSource.S3, "ObjectCreated", name) for name in ("photos", "archive")]
    copy = ActionStep("tree.copy", {"destination": "from-photos/"}, filter=NodeFilter(datasource="photos"))
    jobs.create(make_job("photos-only", None, events=uploads, actions=[copy]))
    with pytest.raises(InvalidJob, match=r"actions\[0\].filter.datasource: no datasource 'nowhere'"):
        rule = NodeFilter(datasource="nowhere")
        jobs.create(make_job("bad", None, actions=[ActionStep("log.message", {"message": "x"}, filter=rule)]))
    pipeline = Pipeline(stack)
    pipeline.runs.receive()
    s3.put_object(Bucket="photos-bucket", Key="in/p.txt", Body=b"p")
    s3.put_object(Bucket="archive-bucket", Key="2024/in/a.txt", Body=b"a")
    pipeline.pump()

    ran = store.list_tasks("photos-only", limit=10)
    assert sorted(t.trigger.detail["event"]["datasource"] for t in ran) == ["archive", "photos"]
    assert all(t.status is TaskStatus.FINISHED for t in ran)
    bucket = stack.buckets["DatasourceBucket"]  # the step's datasource: default
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="from-photos/").get("Contents", [])] == [
        "from-photos/p.txt"
    ]


@pytest.mark.parametrize("datasource", ["photos", "archive", "default"])
def test_a_users_job_is_confined_to_their_home_in_each_datasource(stack, s3, run_queue, datasource):
    alice = Principal("alice")
    where = {"photos": ("photos-bucket", ""), "archive": ("archive-bucket", "2024/")}
    bucket, prefix = where.get(datasource, (stack.buckets["DatasourceBucket"], ""))
    s3.put_object(Bucket=bucket, Key=f"{prefix}home/alice/in/x.txt", Body=b"x")
    run_queue.receive()

    with pytest.raises(Forbidden, match=r"parameters.destination: 'home/bob/' is outside"):
        user_jobs.start(
            UserJobKind.COPY, {"prefix": "home/alice/in/", "destination": "home/bob/"}, [], alice, datasource=datasource
        )
    with pytest.raises(Forbidden, match=r"keys\[0\]: 'in/x.txt' is outside"):
        user_jobs.start(UserJobKind.DELETE, {"prefix": "home/alice/in/"}, ["in/x.txt"], alice, datasource=datasource)
    job, task = user_jobs.start(
        UserJobKind.COPY,
        {"prefix": "home/alice/in/", "destination": "home/alice/out/"},
        [],
        alice,
        datasource=datasource,
    )
    _run_all(run_queue)
    assert store.get_task(job.id, task.id).status is TaskStatus.FINISHED
    assert s3.get_object(Bucket=bucket, Key=f"{prefix}home/alice/out/x.txt")["Body"].read() == b"x"


def test_a_user_job_into_another_datasource_and_unknown_names_are_refused_naming_the_field(stack, s3, run_queue):
    s3.put_object(Bucket="photos-bucket", Key="home/alice/p.jpg", Body=b"p")
    run_queue.receive()
    api = Api()
    body = {
        "datasource": "photos",
        "keys": ["home/alice/p.jpg"],
        "parameters": {"datasource": "archive", "destination": "home/alice/"},
    }
    assert api("POST", "/user-jobs/copy", body, user="alice").status == 202
    _run_all(run_queue)
    assert s3.get_object(Bucket="archive-bucket", Key="2024/home/alice/p.jpg")["Body"].read() == b"p"

    unknown = api("POST", "/user-jobs/copy", {**body, "datasource": "nowhere"}, user="alice")
    assert unknown.status == 422 and "no datasource 'nowhere'" in unknown.text, unknown
    elsewhere = api(
        "POST",
        "/user-jobs/copy",
        {**body, "parameters": {"datasource": "gone", "destination": "home/alice/"}},
        user="alice",
    )
    assert elsewhere.status == 422 and "parameters.datasource" in elsewhere.text, elsewhere
    trigger = {"source": "s3", "type": "ObjectCreated", "datasource": "nowhere"}
    job = {
        "id": "on-nowhere",
        "label": "x",
        "events": [trigger],
        "actions": [{"action": "log.message", "parameters": {"message": "m"}}],
    }
    refused = api("POST", "/jobs", job)
    assert refused.status == 422 and "events[0].datasource" in refused.text, refused


def test_the_datasources_setting_is_read_or_refused_naming_the_entry():
    photos, archive = parse(" photos=photos-bucket , archive=archive-bucket/2024/deep ")
    assert (archive.bucket, archive.prefix, archive.object_key("a.csv")) == (
        "archive-bucket",
        "2024/deep/",
        "2024/deep/a.csv",
    )
    assert (photos.prefix, archive.relative_key("2024/deep/x"), archive.relative_key("2023/x")) == ("", "x", None)
    assert parse("") == ()
    for spec, problem in [
        ("photos", "write name=bucket"),
        ("default=b-bucket", "the stack's own bucket"),
        ("Photos=b-bucket", "lowercase letters"),
        ("p=B_ucket", "not a valid S3 bucket name"),
        ("p=bkt/../up", "'.' or '..' part"),
        ("p=bkt,p=bkt2", "given twice"),
    ]:
        with pytest.raises(InvalidDatasources, match=problem):
            parse(spec)
