"""gunicorn settings for the webhook: ``gunicorn -c python:bot.gunicorn_conf 'bot:create_app()'``.

Command-line flags (-w, -b, --preload) still apply on top of these.
"""
import gc


def post_worker_init(worker) -> None:
    """Freeze what the loaded app holds (jieba's dictionary, the model, SQLAlchemy's mappers).

    Those ~130,000 objects live as long as the worker; once frozen, Python's full garbage
    collections no longer walk them, which otherwise stalls a request for tens of milliseconds.
    """
    gc.freeze()
