"""``python -m bot.simulator --port P``: the webhook plus the simulator, as the demo runs them."""
import argparse
import logging
import signal

from werkzeug.serving import make_server

from bot import create_app
from bot.simulator import bp

log = logging.getLogger(__name__)


def _warm_up(app) -> None:
    """Load jieba's dictionary now, so a visitor's first message is not the slow one."""
    app.extensions["bot"].classifier.classify("村口的路坏了")


def main(argv: list[str] | None = None) -> None:
    """Serve ``/wechat`` and ``/simulator/`` on one port until stopped (SIGTERM or Ctrl-C)."""
    parser = argparse.ArgumentParser(prog="python -m bot.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = create_app()
    app.config["SIMULATOR_WEBHOOK"] = f"http://{args.host}:{args.port}/wechat"
    app.register_blueprint(bp)
    _warm_up(app)
    server = make_server(args.host, args.port, app, threaded=True)
    log.info("webhook and simulator on http://%s:%d/", args.host, args.port)
    # SIGTERM (the demo stopping us) ends serve_forever the way Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # asked to stop: fall through to a quiet exit
    finally:
        server.server_close()
    log.info("webhook and simulator stopped")


if __name__ == "__main__":
    main()
