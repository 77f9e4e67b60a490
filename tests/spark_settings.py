"""Spark settings of every Spark the tests start (the session in conftest.py and the pipeline subprocesses)."""

# Tests run hundreds of queries on a few hundred rows: compiling generated Java for each plan costs more than it
# saves there (measured: the end-to-end DAG and its re-run take 25% less time interpreted). Same results.
#
# The JIT compiler is the largest CPU user of a test JVM: its C2 threads took 96 of the 230 JVM CPU-seconds of the
# tiny DAG and its re-run, on a 2-core machine where two test workers compete for the CPU. C1 only (with a code
# cache large enough that the sweeper does not thrash) and the serial collector: 22% less CPU for the same run,
# with the same results (JVM flags change no query plan).
TEST_SPARK_CONF = {
    "spark.driver.memory": "2g",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=512m -XX:+UseSerialGC",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
