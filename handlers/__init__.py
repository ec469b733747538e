"""Conversation handlers: one module per role, dispatched through one registry.

Handlers take a plain ``Message`` and the sender's identity and return a reply text or None.
They know nothing of Flask or wechatpy, so they test without HTTP.
"""
from handlers.registry import Context, Registry


def build_registry() -> Registry:
    """Return the registry with every role's handlers, in the order they are tried."""
    from handlers import (
        account,
        binding,
        cadre,
        card,
        co_report,
        fallback,
        intake,
        leader,
        reading,
        resident,
        secretary,
        supervisor,
    )

    registry = Registry()
    # Order matters: help and the commands first, then the catch-all intake of residents' complaints.
    fallback.register(registry)
    binding.register(registry)
    co_report.register(registry)  # 是/否 to a co-report offer, before anything else reads the word
    account.register(registry)
    card.register(registry)
    cadre.register(registry)
    resident.register(registry)
    leader.register(registry)
    secretary.register(registry)
    supervisor.register(registry)
    reading.register(registry)  # free text read for what it is; complaints pass on to intake
    intake.register(registry)
    return registry


__all__ = ["Context", "Registry", "build_registry"]
