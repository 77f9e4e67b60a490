"""Spark settings of every Spark the tests start (the session in conftest.py and the pipeline subprocesses)."""

# Tests run hundreds of queries on a few hundred rows: compiling generated Java for each plan costs more than it
# saves there (measured: the end-to-end DAG and its re-run take 25% less time interpreted). Same results.
#
# The JIT compiler is the largest CPU user of a test JVM: its C2 threads took 96 of the 230 JVM CPU-seconds of the
# tiny DAG and its re-run, on a 2-core machine where two test workers compete for the CPU. C1 only (with a code
# cache large enough that the sweeper does not thrash) and the serial collector: 22% less CPU for the same run,
# with the same results (JVM flags change no query plan).
# One core and one partition per shuffle: the suite runs on two xdist workers on a 2-core machine, so a second core
# per Spark only adds tasks to serialize, schedule and run. Measured on the tiny DAG and its re-run (one JVM, idle
# machine, runs vary by up to 25% here): local[2] with 2 partitions 284 CPU-s; local[2] with 1 partition 240;
# local[1] with 1 partition 212, 279 and 238 (AQE off on top changed nothing). The suite: 558 s -> 516 s. What varies
# with cores and partitions is tested on purpose: the end-to-end re-run runs in a process on local[2] with 3
# partitions (RERUN_MASTER, RERUN_PARTITIONS).
TEST_MASTER = "local[1]"
TEST_PARTITIONS = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1"}
RERUN_MASTER = "local[2]"
RERUN_PARTITIONS = {"spark.sql.shuffle.partitions": "3", "spark.default.parallelism": "2"}

TEST_SPARK_CONF = {
    "spark.driver.memory": "2g",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=512m -XX:+UseSerialGC",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    # PySpark's DataFrame debugging records the Python call site of every Column function in the JVM (five py4j
    # round trips per call): the evaluate step made 40,894 py4j calls with it and 14,414 without (24.3 -> 18.6 s).
    # It only adds the caller's file and line to error messages.
    "spark.python.sql.dataFrameDebugging.enabled": "false",
    # Delta's per-file column statistics (data skipping) and the checksum file written after every commit: work on
    # each of the suite's thousands of small commits that no test reads. Without them the tiny DAG and its re-run
    # took 175 and 183 s (213.6 and 224.6 CPU-s) against 192 and 198 s (234.4 and 239.7 CPU-s) with them, in the
    # same session. Production keeps both: a large table needs its statistics to skip files.
    "spark.databricks.delta.stats.collect": "false",
    "spark.databricks.delta.writeChecksumFile.enabled": "false",
    **TEST_PARTITIONS,
}
