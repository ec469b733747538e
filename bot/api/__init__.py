"""The open API: Open311 GeoReport v2 under ``/open311/v2/`` for the county's other systems.

It answers what services (categories) there are, what cases there are and how they stand, files
cases from the 12345 hotline, and emits every ledger entry to the clients' signed webhooks. It
may import models, bot.cases (filing, the case life, the outbox) and bot.inbox's rate limiter;
nothing outside bot/ imports it but the app factory and the CLI (bot/commands/api.py), and the
delivery wing only through ``bot.delivery.webhooks``, which sends what ``events`` wrote.
"""
