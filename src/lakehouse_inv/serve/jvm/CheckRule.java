package lakehouse_inv.jvm;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import scala.Function1;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * The guard's check as an analyzer rule that changes nothing: run in the Hints batch, before relations are resolved,
 * it refuses {@code csv.`/path`} before Spark opens the file to infer its schema. (py4j can implement interfaces
 * only; Rule is an abstract class.)
 */
public final class CheckRule extends Rule<LogicalPlan> {
    private final Function1<LogicalPlan, BoxedUnit> check;

    public CheckRule(Function1<LogicalPlan, BoxedUnit> check) {
        this.check = check;
    }

    @Override
    public LogicalPlan apply(LogicalPlan plan) {
        check.apply(plan);
        return plan;
    }

    public static Function1<SparkSession, Rule<LogicalPlan>> builder(Function1<LogicalPlan, BoxedUnit> check) {
        CheckRule rule = new CheckRule(check);
        return new AbstractFunction1<SparkSession, Rule<LogicalPlan>>() {
            @Override
            public Rule<LogicalPlan> apply(SparkSession session) {
                return rule;
            }
        };
    }
}
