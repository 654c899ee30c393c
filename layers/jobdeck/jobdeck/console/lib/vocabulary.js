// The scheduler's words as the console shows them: task statuses, the overlap and misfire policies,
// a step's input filter, the audit trail's actions. Each is defined in Python (jobdeck.domain and
// the modules named below); this is the console's one copy, until the API serves them.

/** Every task status (jobdeck.domain.TaskStatus), in the order of a task's life. */
export const STATUSES = ["QUEUED", "RUNNING", "PAUSED", "FINISHED", "ERROR", "INTERRUPTED", "SKIPPED"];

/** The statuses of a task still in flight: it can be stopped, and its page follows it. */
export const ACTIVE = new Set(["QUEUED", "RUNNING", "PAUSED"]);

/** The overlap policies (jobdeck.domain.Overlap): what a new run does while the job has
 * `max_concurrency` runs in flight. [value, name, what it means] */
export const OVERLAPS = [
  ["allow_all", "Allow all", "No overlap rule: max concurrency is only a safety cap; beyond it, runs wait"],
  ["skip", "Skip", "The new run ends SKIPPED, with the reason"],
  ["buffer_one", "Buffer one", "The new run waits, unless one already waits: then it is SKIPPED"],
  ["buffer_all", "Buffer all", "The new run waits its turn (first come, first started)"],
  ["cancel_other", "Cancel other", "The oldest running run is stopped; the new one takes its seat"],
];

/**
 * What an overlap policy means, in a sentence ("" for one the console does not know).
 * @param {string} policy
 * @returns {string}
 */
export const overlapMeaning = (policy) => OVERLAPS.find(([value]) => value === policy)?.[2] || "";

/**
 * max_concurrency left empty: 20 for allow_all, 1 for the exclusive policies.
 * @param {string} overlap
 * @returns {number}
 */
export const defaultConcurrency = (overlap) => (overlap === "allow_all" ? 20 : 1);

/** What a schedule does with the slots it missed (jobdeck.domain.Misfire). [value, in words] */
export const MISFIRES = [
  ["skip", "Skip: run the newest missed slot once"],
  ["catch_up", "Catch up: run every missed slot"],
];

/** The S3 events that can start a job. */
export const S3_EVENT_TYPES = ["ObjectCreated", "ObjectRemoved"];

/** The types a job parameter may have (jobdeck.domain.ParameterType). */
export const PARAMETER_TYPES = ["string", "integer", "number", "boolean"];

/** A step's input filter (jobdeck.domain.NodeFilter) as the form edits it: [key, label, hint,
 * kind], kind "text", "size" (whole bytes) or "days" (a number). In this order they make two
 * rows of three at desktop width: the text condition first, then a pair of bounds. */
export const NODE_FILTER_FIELDS = [
  ["glob", "Key matches (glob)", "Shell-style, on the whole key: home/*/photos/*.jpg", "text"],
  ["min_size", "Min size (bytes)", "At least this many bytes", "size"],
  ["max_size", "Max size (bytes)", "At most this many bytes", "size"],
  ["content_type", "Content type", "e.g. image/*; costs a HEAD request per item", "text"],
  ["older_than_days", "Older than (days)", "Last changed more than this many days ago", "days"],
  ["newer_than_days", "Newer than (days)", "Last changed less than this many days ago", "days"],
];

/** The audit trail's actions (written by jobdeck.audit.entry's callers), in words. */
export const AUDIT_ACTIONS = {
  "job.create": "Created the job",
  "job.replace": "Edited the job",
  "job.delete": "Deleted the job",
  "job.enable": "Enabled the job",
  "job.disable": "Disabled the job",
  "job.pause": "Paused the job after failures",
  "job.run": "Run Now",
  "job.backfill": "Backfill",
  "hook.call": "Called a hook",
  "user_job.create": "Started a user job",
  "task.stop": "Stopped a task",
  "task.pause": "Paused a task",
  "task.resume": "Resumed a task",
  "task.cancel": "Cancelled a run for a newer one",
  "tasks.clear": "Cleared the history",
};
