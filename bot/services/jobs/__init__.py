"""Background jobs: run once across every process and server, or in each process."""

from bot.services.jobs.runner import JobRunner, JobSpec, process_id, schedule_of
from bot.services.jobs.schedule import Schedule, ScheduleError, parse_schedule
from bot.services.jobs.store import JobStore

__all__ = ["JobRunner", "JobSpec", "JobStore", "Schedule", "ScheduleError", "parse_schedule",
           "process_id", "schedule_of"]
