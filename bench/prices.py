"""AWS's prices and what Jobdeck's measured usage costs at them: the pricing half of the cost
benchmark (bench/cost.py measures the usage). Kept apart so that a new price list is one file's
change, with its sources beside each figure."""

from __future__ import annotations

from dataclasses import dataclass

MONTH_HOURS = 720  # a 30-day month
MONTH_MINUTES = MONTH_HOURS * 60  # the tick's invocations (rate(1 minute))
MILLION = 1_000_000

# Public prices, us-east-1, on-demand, as of November 2026 (USD). Read on AWS's own pages: Lambda's
# prices, CloudWatch's free tier and that only custom events are charged. Not confirmed there, from
# third-party pages that agree with each other: DynamoDB on-demand, SQS, CloudWatch's paid prices.
# https://aws.amazon.com/lambda/pricing/  (x86: requests, duration; always-free: 1M requests, 400,000 GB-s)
LAMBDA_PER_REQUEST = 0.20 / MILLION
LAMBDA_PER_GB_SECOND = 0.0000166667
LAMBDA_FREE_REQUESTS, LAMBDA_FREE_GB_SECONDS = 1_000_000, 400_000
# https://aws.amazon.com/dynamodb/pricing/on-demand/  (since the cut of 1 November 2024; 25 GB stored free)
DYNAMODB_PER_WRITE_UNIT = 0.625 / MILLION
DYNAMODB_PER_READ_UNIT = 0.125 / MILLION
# https://aws.amazon.com/sqs/pricing/  (standard queues, each 64 KB of a request is one; 1M requests free)
SQS_PER_REQUEST = 0.40 / MILLION
SQS_FREE_REQUESTS = 1_000_000
# https://aws.amazon.com/cloudwatch/pricing/  (custom metrics, first 10,000, prorated by the hour they are
# published; standard-resolution alarms; dashboards; logs ingested. Free: 10 metrics, 10 alarms,
# 3 dashboards, 5 GB of logs)
CLOUDWATCH_PER_METRIC_MONTH = 0.30
CLOUDWATCH_PER_ALARM_MONTH = 0.10
CLOUDWATCH_PER_DASHBOARD_MONTH = 3.00
CLOUDWATCH_LOGS_PER_GB = 0.50
CLOUDWATCH_FREE_METRICS, CLOUDWATCH_FREE_ALARMS, CLOUDWATCH_FREE_DASHBOARDS, CLOUDWATCH_FREE_LOG_GB = 10, 10, 3, 5
# https://aws.amazon.com/eventbridge/pricing/  (events of scheduled rules are not custom events: no charge)
EVENTBRIDGE_SCHEDULED_RULE_EVENT = 0.0


@dataclass
class Usage:
    """Billable quantities, per run or per month."""

    lambda_requests: float = 0.0
    gb_seconds: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    sqs_requests: float = 0.0
    log_bytes: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def __mul__(self, factor: float) -> Usage:
        return Usage(*(a * factor for a in self.astuple()))

    def astuple(self) -> tuple[float, ...]:
        return (
            self.lambda_requests,
            self.gb_seconds,
            self.write_units,
            self.read_units,
            self.sqs_requests,
            self.log_bytes,
        )

    def dollars(self) -> dict[str, float]:
        return {
            "Lambda requests": self.lambda_requests * LAMBDA_PER_REQUEST,
            "Lambda duration": self.gb_seconds * LAMBDA_PER_GB_SECOND,
            "DynamoDB writes": self.write_units * DYNAMODB_PER_WRITE_UNIT,
            "DynamoDB reads": self.read_units * DYNAMODB_PER_READ_UNIT,
            "SQS requests": self.sqs_requests * SQS_PER_REQUEST,
            "CloudWatch Logs ingested": self.log_bytes / 1e9 * CLOUDWATCH_LOGS_PER_GB,
        }


@dataclass
class Costs:
    per_run: Usage
    idle: Usage
    idle_metric_months: float
    alarms: int
    dashboards: int
    esm_idle_receives: float
    system_runs: int

    def per_million(self) -> dict[str, float]:
        return {name: dollars * MILLION for name, dollars in self.per_run.dollars().items()}

    def idle_month(self) -> dict[str, float]:
        items = self.idle.dollars()
        items["SQS requests"] += self.esm_idle_receives * SQS_PER_REQUEST
        items["CloudWatch custom metrics"] = self.idle_metric_months * CLOUDWATCH_PER_METRIC_MONTH
        items["CloudWatch alarms"] = self.alarms * CLOUDWATCH_PER_ALARM_MONTH
        items["CloudWatch dashboard"] = self.dashboards * CLOUDWATCH_PER_DASHBOARD_MONTH
        items["EventBridge (the tick's rule)"] = MONTH_MINUTES * EVENTBRIDGE_SCHEDULED_RULE_EVENT
        return items

    def idle_month_after_free_tiers(self) -> float:
        items = self.idle_month()
        lambda_requests = max(0.0, self.idle.lambda_requests - LAMBDA_FREE_REQUESTS) * LAMBDA_PER_REQUEST
        gb_seconds = max(0.0, self.idle.gb_seconds - LAMBDA_FREE_GB_SECONDS) * LAMBDA_PER_GB_SECOND
        sqs = max(0.0, self.idle.sqs_requests + self.esm_idle_receives - SQS_FREE_REQUESTS) * SQS_PER_REQUEST
        logs = max(0.0, self.idle.log_bytes / 1e9 - CLOUDWATCH_FREE_LOG_GB) * CLOUDWATCH_LOGS_PER_GB
        metrics = max(0.0, self.idle_metric_months - CLOUDWATCH_FREE_METRICS) * CLOUDWATCH_PER_METRIC_MONTH
        alarms = max(0, self.alarms - CLOUDWATCH_FREE_ALARMS) * CLOUDWATCH_PER_ALARM_MONTH
        dashboards = max(0, self.dashboards - CLOUDWATCH_FREE_DASHBOARDS) * CLOUDWATCH_PER_DASHBOARD_MONTH
        dynamodb = items["DynamoDB writes"] + items["DynamoDB reads"]  # no always-free tier on on-demand
        return lambda_requests + gb_seconds + sqs + logs + metrics + alarms + dashboards + dynamodb
