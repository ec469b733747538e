"""``python -m bot demo [--reset]``: run the whole bot locally with the WeChat simulator."""
import click


@click.command()
@click.option("--reset", is_flag=True, help="Start afresh: delete the demo's database and Redis data first.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address every demo server listens on.")
@click.option("--port", default=0, type=int, help="Port of the webhook and simulator (default: a free one).")
def demo(reset: bool, host: str, port: int) -> None:
    """Run the demo: fake WeChat, Redis, worker, webhook and the simulator; Ctrl-C stops it all."""
    import logging

    from bot.demo.launcher import run_demo

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_demo(reset, host, port)
