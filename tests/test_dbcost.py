"""bench/dbcost.py's counting: round trips read from libpq's trace, Redis calls from INFO commandstats."""
from bench.dbcost import FPI_BLOCK, Wire, command_calls

# What libpq's trace (timestamps suppressed) shows for: BEGIN; one statement with parameters; psycopg
# preparing a statement on its fifth use, then running it; COMMIT. Backend lines are never counted.
TRACE = "\n".join([
    'F\t10\tQuery\t "BEGIN"',
    'B\t10\tCommandComplete\t "BEGIN"',
    'B\t5\tReadyForQuery\t T',
    'F\t82\tParse\t "" "UPDATE resident SET phone_asked=$1 WHERE resident.id = $2::INTEGER" 2 16 21',
    'F\t29\tBind\t "" "" 2 1 1 2 1 \'\\x01\' 2 \'\\x03\\xed\' 1 0',
    'F\t6\tDescribe\t P ""',
    'F\t9\tExecute\t "" 0',
    'F\t4\tSync',
    'F\t132\tParse\t "_pg3_5" "SELECT webhook_subscriber.id FROM webhook_subscriber" 0',
    'F\t4\tSync',
    'F\t28\tBind\t "" "_pg3_5" 0 0 1 0',
    'F\t6\tDescribe\t P ""',
    'F\t9\tExecute\t "" 0',
    'F\t4\tSync',
    'F\t11\tQuery\t "COMMIT"',
    'F\t6\tQuery\t ";"',
    '',
])


def test_each_wait_for_the_server_is_one_round_trip():
    counts = Wire().feed(TRACE)
    # BEGIN, the UPDATE, the prepare, the prepared SELECT, COMMIT and the pool's ping.
    assert (counts["round trips"], counts["tx"], counts["prepares"]) == (6, 2, 1)


def test_a_line_cut_between_two_reads_counts_once_and_whole():
    wire, cut = Wire(), TRACE.index("COMMIT") - 3
    first, second = wire.feed(TRACE[:cut]), wire.feed(TRACE[cut:])
    assert first["round trips"] + second["round trips"] == 6
    assert first["tx"] == 1 and second["tx"] == 1  # COMMIT is read whole, in the second part


def test_a_prepare_split_across_reads_is_still_a_prepare():
    wire, cut = Wire(), TRACE.index('F\t4\tSync\nF\t28')
    assert wire.feed(TRACE[:cut])["prepares"] == 0
    assert wire.feed(TRACE[cut:])["prepares"] == 1


def test_redis_calls_leave_out_the_bench_s_own_info():
    stats = {"cmdstat_info": {"calls": 9, "usec": 1}, "cmdstat_set": {"calls": 3, "usec": 2},
             "cmdstat_incrby": {"calls": 1, "usec": 1}}
    assert command_calls(stats) == {"set": 3, "incrby": 1}


def test_full_page_images_are_found_in_walinspect_block_refs():
    refs = ("blkref #0: rel 1663/16385/16585 fork main blk 9 (FPW); hole: offset: 460, length: 84, "
            "blkref #1: rel 1663/16385/16590 fork main blk 2")
    assert FPI_BLOCK.findall(refs) == ["16585"]
