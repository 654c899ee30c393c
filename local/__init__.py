"""The local stack: the template's resources on an embedded moto server, and the template's
functions driven as Lambda would drive them (a clock for schedules, pollers for queues)."""
