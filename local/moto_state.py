"""moto's state, saved to a StateDir and loaded from it: every service moto holds, each pickled as
moto keeps it (tables and items, buckets and objects with their metadata, queues and messages with
their delays and receive counts, rules and their targets, schedules, topics...), whoever made them:
the stack, or someone at the endpoint with `aws --endpoint-url`.

A pickle rather than a dump through the services' APIs: it takes everything moto knows, for any
service, in one step, and brings it back as it was, where an API cannot set much of it (when a
message was sent and how often received, the delay it still has, an object's last-modified date).
2,000 DynamoDB items pickle in 12 ms to 420 KB. The price: a pickle of moto's objects loads only
into the same moto; the manifest records moto's version, and another is refused with a message.

A snapshot is taken with the request gate closed (request_gate), so it holds no request
half-applied, by a fork of the process (see `save`), and pickles only the services changed since the
last one (plus the ones that deliver messages, which a write elsewhere may have used: S3 and
EventBridge send to SQS); unchanged parts stay on disk as they are. `keep` saves every second
while something changed, so that a kill -9 or a power cut loses at most the last second (and what
changed during a save still under way).

At load, messages that were in flight (received by a poller of the stack that stopped, never
deleted) are visible again at once: nobody holds them any more. In AWS a dead consumer's messages
wait out the queue's visibility timeout (90 minutes for RunQueue), which here would only delay the
runs they carry; their receive counts stay, so a message that keeps failing still ends in its
dead-letter queue. Delayed messages keep their delays.
"""

from __future__ import annotations

import _thread
import copyreg
import importlib
import io
import logging
import os
import pickle
import sys
import threading
import time
import traceback
import warnings
from importlib.metadata import version
from typing import Any

from moto.core.base_backend import AccountSpecificBackend, BackendDict
from moto.core.utils import unix_time_millis
from moto.dynamodb.models.dynamo_type import LimitedSizeDict
from moto.sqs.models import SQSBackend

from jobdeck_local import reaches
from jobdeck_local.request_gate import EVERY, Gate
from jobdeck_local.state_dir import Manifest, StateDir, StateRefused

# The pickles hold moto's own objects, reduced where they hold locks or registries: what of moto's
# that reaches, as the pinned version has it.
reaches.require(
    "the local stack's kept state",
    (
        reaches.Reach("moto.core.base_backend.BackendDict._instances"),
        reaches.Reach("moto.core.base_backend.BackendDict.iter_backends"),
        reaches.Reach("moto.core.base_backend.AccountSpecificBackend"),
        reaches.Reach("moto.dynamodb.models.dynamo_type.LimitedSizeDict"),
        reaches.Reach("moto.sqs.models.Queue._messages", set_in_init=True),
        reaches.Reach("moto.sqs.models.Queue.pending_messages"),
        reaches.Reach("moto.sqs.models.SQSBackend.queues", set_in_init=True),
    ),
    "moto as local/moto_pin.py pins it",
)

logger = logging.getLogger("jobdeck.moto_state")

SAVE_EVERY = 1.0  # seconds: what a kill -9 or a power cut may lose
# Services that deliver messages: a write to another service may have sent one (S3 events to
# EventBridge, EventBridge to SQS, SNS to SQS). Small: pickled whenever anything changed.
DELIVERING = {"sqs", "sns", "events"}


def moto_version() -> str:
    return version("moto")


class MotoState:
    def __init__(self, folder: StateDir, gate: Gate) -> None:
        self.folder, self.gate = folder, gate
        self.manifest: Manifest | None = None
        self._saving = threading.Lock()
        self.last_save_seconds = 0.0  # how long the last save held the gate closed, for the benchmark

    # ------------------------------------------------------------------ loading
    def load(self) -> int:
        """Restore what the folder holds into moto's backends (before the server serves); the number
        of services restored. Raises StateRefused for a state this moto cannot load."""
        manifest = self.folder.manifest()
        if manifest is None:
            return 0
        if manifest.moto != moto_version():
            raise StateRefused(
                f"the state in {self.folder.path} was saved by moto {manifest.moto}, and this is moto "
                f"{moto_version()}, which cannot load it. Start with --fresh (the old state is moved aside, "
                f"not deleted), or install moto=={manifest.moto} to use it."
            )
        for service, name in manifest.parts.items():
            try:
                module, attribute, accounts, own = pickle.loads(self.folder.read_part(name))
            except Exception as e:  # a part damaged, or of another layout: nothing to guess at
                raise StateRefused(
                    f"{self.folder.path / name} cannot be loaded ({type(e).__name__}: {e}). Start with --fresh "
                    f"(the old state is moved aside, not deleted)."
                ) from e
            live: BackendDict[Any] = getattr(importlib.import_module(module), attribute)
            vars(live).update(own)
            for account, regions in accounts.items():
                for region, backend in regions.items():
                    live[account][region] = backend
            logger.debug("restored %s", service)
        _hand_back_messages_in_flight()
        self.manifest = manifest
        return len(manifest.parts)

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        """A snapshot of what changed since the last one, if anything did; whether one was written.

        The gate is closed only while the process forks: the child, a copy of this one as it was
        then (its pages shared until either writes them), pickles and writes the parts at leisure,
        on the other core, while this one serves again. Pickling under the closed gate held every
        request for a second a save with 20,000 tasks in the history; the fork holds them a few
        milliseconds. The child touches nothing another thread could hold at the fork: no request is
        inside the gate, and it writes with file objects of its own.
        """
        with self._saving:
            with self.gate.closed() as changed:
                wanted = self._wanted(changed)
                if not wanted:
                    return False
                started = time.perf_counter()
                with warnings.catch_warnings():
                    # Python warns that a thread of the parent may hold a lock the child needs; see above.
                    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                    child = os.fork()
                if child == 0:
                    os._exit(self._write(wanted))
                self.last_save_seconds = time.perf_counter() - started
            code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
            if code != 0:
                self.gate.changed_again(changed or {EVERY})  # the next save tries them again
                raise RuntimeError(f"saving the state in {self.folder.path} failed (code {code}, why above)")
            self.manifest = self.folder.manifest()
            return True

    def _write(self, services: set[str]) -> int:
        """In the forked child: pickle and write; its exit code."""
        try:
            backends = {backend_dict.service_name: backend_dict for backend_dict in _in_use()}
            parts = {service: _pickle(backends[service]) for service in sorted(services)}
            self.folder.save(parts, moto_version(), self.manifest)
            return 0
        except BaseException:
            os.write(2, traceback.format_exc().encode())  # not through sys.stderr, whose lock a parent thread may hold
            return 1

    def _wanted(self, changed: set[str]) -> set[str]:
        """The services to write: those changed (all when one cannot be told) and the ones that
        deliver, plus any service moto holds that no save has written yet."""
        held = {backend_dict.service_name for backend_dict in _in_use()}
        saved = self.manifest.parts if self.manifest else {}
        if changed and (EVERY in changed or changed - held):
            wanted = set(held)
        elif changed:
            wanted = (changed | DELIVERING) & held
        else:
            wanted = set()
        return wanted | (held - saved.keys())

    def keep(self, stop: threading.Event) -> threading.Thread:
        """A thread that saves every SAVE_EVERY seconds while something changed, until `stop`."""

        def loop() -> None:
            while not stop.wait(SAVE_EVERY):
                try:
                    self.save()
                except Exception:  # the next second tries again; what changed is still noted
                    logger.exception("saving the local stack's state failed")

        thread = threading.Thread(target=loop, name="moto-state", daemon=True)
        thread.start()
        return thread


# ---------------------------------------------------------------------- pickling moto's objects


def _where(backend_dict: BackendDict[Any]) -> tuple[str, str]:
    """The module and name a BackendDict is bound to, where its service's backend is defined
    (then anywhere in moto): a reference to it is loaded as the live one, not a copy."""
    home = sys.modules[backend_dict.backend.__module__]
    modules = [home, *(m for name, m in list(sys.modules.items()) if name.startswith("moto.") and m is not home)]
    for module in modules:
        for attribute, value in vars(module).items():
            if value is backend_dict:
                return module.__name__, attribute
    raise LookupError(f"no module of moto holds the backends of {backend_dict.service_name}")


def _in_use() -> list[BackendDict[Any]]:
    """The services moto holds something for (moto's own list of them)."""
    return list(BackendDict._instances)  # type: ignore[misc]


def _live_backends(module: str, attribute: str) -> BackendDict[Any]:
    return getattr(importlib.import_module(module), attribute)


def _live_account(module: str, attribute: str, account: str) -> AccountSpecificBackend[Any]:
    return _live_backends(module, attribute)[account]


def _reduce_backend_dict(backend_dict: BackendDict[Any]) -> tuple[Any, ...]:
    return _live_backends, _where(backend_dict)


def _reduce_account(account: AccountSpecificBackend[Any]) -> tuple[Any, ...]:
    for backend_dict in _in_use():
        if dict.get(backend_dict, account.account_id) is account:
            return _live_account, (*_where(backend_dict), account.account_id)
    raise LookupError(f"no backends hold the account {account.account_id} of {account.service_name}")


def _limited_size_dict(items: dict[str, Any]) -> LimitedSizeDict:
    attrs = LimitedSizeDict()
    dict.update(attrs, items)
    return attrs


# Locks are made anew (unheld, nobody waiting); a condition keeps its lock's kind and loses its
# waiters, threads of a process that is gone. An item's attributes are loaded whole: one by one,
# moto sizes the whole item again at each (20,000 items took 22 s to load that way, 1 s this way),
# and they were within the limit when saved.
_REDUCERS: dict[type, Any] = {
    LimitedSizeDict: lambda attrs: (_limited_size_dict, (dict(attrs),)),
    _thread.LockType: lambda lock: (_thread.allocate_lock, ()),
    _thread.RLock: lambda lock: (_thread.RLock, ()),
    threading.Condition: lambda condition: (threading.Condition, (condition._lock,)),
    BackendDict: _reduce_backend_dict,
    AccountSpecificBackend: _reduce_account,
}


# What BackendDict itself sets; a subclass may keep more of the service's state beside its backends
# (S3's: which account holds each bucket name, without which a bucket restored is not found, and
# creating it again replaces it with an empty one).
_BACKEND_DICT_OWN = {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}


def _pickle(backend_dict: BackendDict[Any]) -> bytes:
    """(module, name, {account: {region: backend}}, its subclass's own attributes) of one service."""
    accounts = {account: dict(regions) for account, regions in dict.items(backend_dict)}
    own = {name: value for name, value in vars(backend_dict).items() if name not in _BACKEND_DICT_OWN}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **_REDUCERS}
    pickler.dump((*_where(backend_dict), accounts, own))
    return buffer.getvalue()


def _hand_back_messages_in_flight() -> None:
    now = unix_time_millis()
    for backend_dict in _in_use():
        for _, _, backend in backend_dict.iter_backends():
            if not isinstance(backend, SQSBackend):
                continue
            for queue in backend.queues.values():
                for message in queue._messages:
                    if message.visible_at > now:
                        message.visible_at = now
                queue.pending_messages.clear()
