"""Every inbound message, once: what answers "has this message been taken in?".

De-duplication (Redis first, the database's unique key behind it), rate limits, the ban list,
and ``receive``: store the message and run its handler in one transaction. May import ``models``,
``handlers`` (through the runtime's registry), the relay's kick and the spine; never the WeChat
client.
"""
