"""The demo: what answers "how do I see the whole bot on one machine?".

The launcher behind ``python -m bot demo``, its data (the demo roster, personas' bindings,
logins) and the child processes it starts and stops (fake WeChat, worker, scheduler, web).
May import anything in ``bot``; nothing imports it but the CLI.
"""
