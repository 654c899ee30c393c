"""What the functions' roles may touch in S3: the datasources' buckets and prefixes, as lists the
template can use (CloudFormation custom resource `Custom::Datasources`, run by the setup function).

CloudFormation cannot loop over the `Datasources` parameter, nor parse `name=bucket/prefix`; this
does, with `jobdeck.datasources.parse`, and answers comma-joined strings that the policies take
apart with `!Split [",", !GetAtt DatasourceGrants.<attribute>]`. A bad entry fails the deploy with
the parser's message. The local IAM check (jobdeck_local.iam.roles) resolves the attributes with
this same function, so what it checks is what a deploy grants.

IAM refuses a statement whose Resource (or condition value) is an empty string, and `!Split` of ""
gives [""]. So a list that would be empty holds the stack's own bucket instead (its ARN, its name,
or the pattern `*` for its prefixes): every function that gets such a list may already do that much
on its own bucket, so the stand-in grants nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jobdeck.datasources import DEFAULT, Datasource, parse

KIND = "Custom::Datasources"


def attributes(default_bucket: str, spec: str, partition: str = "aws") -> dict[str, str]:
    """The custom resource's attributes for the stack's bucket and a `Datasources` value:

    - `ObjectArns`: the objects of every datasource (`bucket/prefix*`), for GetObject, PutObject...
    - `BucketArns`: every datasource's bucket;
    - `WholeBucketArns`: the buckets listed whole (the stack's, and `name=bucket` ones), for an
      unconditioned s3:ListBucket;
    - `PrefixedBucketArns` and `PrefixPatterns`: the buckets of `name=bucket/prefix` datasources and
      the `s3:prefix` values (`prefix*`) a ListBucket on them may ask, for a conditioned one;
    - `BucketNames`: every datasource's bucket name (the object events' rule);
    - `ExtraBucketNames`, `ExtraBucketArns`: the attached buckets only (their EventBridge notifications).
    """
    default = Datasource(DEFAULT, default_bucket)
    every = (default, *parse(spec))
    whole = {ds.bucket for ds in every if not ds.prefix}
    prefixed = [ds for ds in every if ds.prefix and ds.bucket not in whole]
    extra = [ds.bucket for ds in every[1:]]

    def arn(name: str) -> str:
        return f"arn:{partition}:s3:::{name}"

    def joined(values: Iterable[str], stand_in: str) -> str:
        return ",".join(dict.fromkeys(values)) or stand_in  # in order, once each

    return {
        "ObjectArns": joined((arn(f"{ds.bucket}/{ds.prefix}*") for ds in every), arn(f"{default_bucket}/*")),
        "BucketArns": joined((arn(ds.bucket) for ds in every), arn(default_bucket)),
        "WholeBucketArns": joined((arn(ds.bucket) for ds in every if ds.bucket in whole), arn(default_bucket)),
        "PrefixedBucketArns": joined((arn(ds.bucket) for ds in prefixed), arn(default_bucket)),
        "PrefixPatterns": joined((f"{ds.prefix}*" for ds in prefixed), "*"),
        "BucketNames": joined((ds.bucket for ds in every), default_bucket),
        "ExtraBucketNames": joined(extra, default_bucket),
        "ExtraBucketArns": joined((arn(name) for name in extra), arn(default_bucket)),
    }


def from_properties(properties: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of the resource's properties (`DefaultBucket`, `Datasources`, `Partition`)."""
    return attributes(
        str(properties["DefaultBucket"]),
        str(properties.get("Datasources", "")),
        str(properties.get("Partition", "aws")),
    )


def handle(event: Mapping[str, Any]) -> dict[str, str]:
    """A request of CloudFormation for `Custom::Datasources`; its answer's Data. Nothing exists
    outside the answer, so a Delete has nothing to undo (and must not fail on a bad value that
    made the Create fail)."""
    if event["RequestType"] == "Delete":
        return {}
    return from_properties(event["ResourceProperties"])
