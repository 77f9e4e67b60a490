"""Spark settings of every Spark the tests start (the session in conftest.py and the pipeline subprocesses)."""

# Tests run hundreds of queries on a few hundred rows: compiling generated Java for each plan costs more than it
# saves there (measured: the end-to-end DAG and its re-run take 25% less time interpreted). Same results.
TEST_SPARK_CONF = {
    "spark.driver.memory": "2g",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
