"""WeChat's side of the wire: what answers "how do we talk to WeChat and WeCom?".

The webhook blueprint (``/wechat``), the protocol (signature, timestamp, AES, XML parse and
render), the outbound API client with its shared access token, and a local fake of WeChat's and
WeCom's HTTP API for tests and the demo. May import the spine (settings, runtime) and ``inbox``
(the webhook hands each parsed message to it); nothing here knows about cases or handlers.
"""
