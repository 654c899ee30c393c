"""Load a function of template.yaml the way Lambda does (CodeUri + Handler), and a context
object with what handlers read from it."""

from __future__ import annotations

import functools
import gc
import importlib.util
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobdeck_local import template
from jobdeck_local.iam.attribution import acting_as

Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(function_id: str) -> Handler:
    props = template.load()["Resources"][function_id]["Properties"]
    module_name, attribute = props["Handler"].rsplit(".", 1)
    path = template.ROOT / props["CodeUri"] / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"jobdeck_fn_{function_id}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    stack_froze = gc.get_freeze_count() > 0  # a running stack froze what it held (LocalStack.start)
    spec.loader.exec_module(module)
    # A Lambda environment loads its handler once; this process loads them again and again (each
    # stack, each test). What the handler's cold start froze (jobdeck.coldstart) would then be
    # everything this process held at each load, garbage included, never to be collected.
    gc.unfreeze()
    if stack_froze:  # loaded while a stack runs: keep the stack's freeze, without the garbage
        freeze_held()
    handler = getattr(module, attribute)

    @functools.wraps(handler)
    def invoke(event: dict[str, Any], context: Any) -> Any:
        with acting_as(function_id):  # its AWS requests are checked against its role (jobdeck_local.iam)
            return handler(event, context)

    return invoke


def freeze_held() -> None:
    """What the process holds now lives as long as it runs, as in a Lambda environment after its
    init (jobdeck.coldstart): the garbage is collected and the rest frozen, out of every later
    collection. gc.unfreeze() lets go of it."""
    gc.collect()
    gc.freeze()


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: int = 60
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @classmethod
    def for_function(cls, function_id: str) -> LambdaContext:
        doc = template.load()
        props = doc["Resources"][function_id]["Properties"]
        defaults = doc["Globals"]["Function"]
        return cls(
            function_name=function_id,
            timeout_seconds=int(props.get("Timeout", defaults.get("Timeout", 3))),
            memory_limit_in_mb=int(props.get("MemorySize", defaults.get("MemorySize", 128))),
        )
