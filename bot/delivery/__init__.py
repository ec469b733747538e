"""Pushes on their way out: what answers "has everyone been told?".

The RQ jobs and worker, the outbox relay, the notifier with its channel rules (customer-service
message, template, WeCom), error classes and retries, quota pauses and quiet hours, and the
scheduled jobs (overdue ladder, station-day eve, follow-ups, the Monday summary). May import
everything below it: ``wechat`` (the outbound client), ``cases``, ``villages``, ``reports``.
"""
