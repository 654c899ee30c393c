"""Least privilege, proven: every AWS request a function's code makes, in the tests and in the local
stack, checked against that function's own role as the SAM transform writes it (docs/permissions.md).
`python -m jobdeck_local.iam RECORDS` prints the report `make iam` ends with."""
