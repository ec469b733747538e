"""Background jobs on Redis with RQ: anything slow or outbound runs here, not in the webhook."""
import redis
from rq import Queue, SimpleWorker

QUEUE = "bot"


def queue_connection(url: str) -> redis.Redis:
    """A Redis connection for RQ: no socket timeout, since workers block waiting for jobs."""
    return redis.Redis.from_url(url)


def get_queue(runtime) -> Queue:
    """The project's job queue."""
    return Queue(QUEUE, connection=queue_connection(runtime.redis_url))


def run_worker(app, burst: bool = False) -> None:
    """Work the queue inside the app's context (jobs reach the database through it)."""
    runtime = app.extensions["bot"]
    with app.app_context():
        # SimpleWorker runs jobs in this process: no fork per job, so the database pool and
        # the jieba dictionary are loaded once.
        worker = SimpleWorker([get_queue(runtime)], connection=queue_connection(runtime.redis_url))
        worker.work(burst=burst, with_scheduler=True)
