"""The open API: Open311 GeoReport v2 under ``/open311/v2/`` for the county's other systems.

It answers what services (categories) there are, which cases there are and how they stand,
files cases from the 12345 hotline through bot/cases/filing.py, and turns every ledger entry
into outbox rows for the clients' signed webhooks (``events``, registered when the app factory
imports ``routes``; bot/delivery/webhooks.py sends them). It may import models, bot.cases,
bot.roster.names, bot.timefmt, the inbox's rate limiter and the relay's kick; only the app
factory and the CLI (bot/commands/api.py) import it.
"""
