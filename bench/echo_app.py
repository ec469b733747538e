"""The baseline: a bare Flask + wechatpy app that verifies, parses and echoes, nothing else."""
from flask import Flask, request
from wechatpy import parse_message
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN = "benchtoken"
app = Flask(__name__)


@app.post("/wechat")
def echo():
    """Verify the signature, parse the message, reply with its text."""
    check_signature(TOKEN, request.args["signature"], request.args["timestamp"], request.args["nonce"])
    message = parse_message(request.get_data())
    return TextReply(message=message, content=getattr(message, "content", "")).render()
