package lakehouse_inv.jvm;

import org.apache.spark.sql.SparkSession;
import java.util.List;

import org.apache.spark.sql.catalyst.expressions.CreateMap;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GreaterThanOrEqual;
import org.apache.spark.sql.catalyst.expressions.If;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.MonotonicallyIncreasingID;
import org.apache.spark.sql.catalyst.expressions.RaiseError;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.CommandResult;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.Limit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Subquery;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.trees.TreePattern;
import org.apache.spark.sql.types.DataTypes;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * Optimizer rule: a query's result stops at {@code cap} rows with an error that says so, instead of streaming
 * without end. The plan becomes {@code Filter(if(row >= cap, raise_error(...), true), Limit(cap + 1, query))}: the
 * limit gathers at most cap + 1 rows into one partition, where monotonically_increasing_id() is the row number
 * (so a plan that cannot pass the cap is left alone: Spark would drop the limit and keep its partitions). Commands,
 * their results and subqueries are left alone.
 */
public final class RowCap extends Rule<LogicalPlan> {
    static final String MARKER = "lakehouse_inv result cap";
    private final long cap;

    public RowCap(long cap) {
        this.cap = cap;
    }

    @Override
    public LogicalPlan apply(LogicalPlan plan) {
        if (plan instanceof Command || plan instanceof CommandResult || plan instanceof Subquery
                || plan.containsPattern(TreePattern.COMMAND())) {
            return plan;
        }
        scala.Option<Object> most = plan.maxRows();
        if (most.isDefined() && ((Long) most.get()) <= cap) {
            return plan;  // cannot pass the cap (also: Spark drops a limit above such a plan, see below)
        }
        if (plan instanceof Filter filter && filter.condition().toString().contains(MARKER)) {
            return plan;
        }
        String message = MARKER + ": the result has more than " + cap
                + " rows, the most this endpoint returns; add a LIMIT, a WHERE or an aggregation";
        Expression tooMany = new GreaterThanOrEqual(new MonotonicallyIncreasingID(),
                Literal.create(Long.valueOf(cap), DataTypes.LongType));
        Expression parameters = new CreateMap(CollectionConverters.asScala(List.<Expression>of(
                Literal.create("errorMessage", DataTypes.StringType), Literal.create(message, DataTypes.StringType)))
                .toSeq(), false);
        Expression raise = new RaiseError(Literal.create("USER_RAISED_EXCEPTION", DataTypes.StringType), parameters,
                DataTypes.BooleanType);
        Expression condition = new If(tooMany, raise, Literal.create(Boolean.TRUE, DataTypes.BooleanType));
        int limit = (int) Math.min(Integer.MAX_VALUE, cap + 1);
        LogicalPlan limited = (LogicalPlan) Limit.apply(Literal.create(limit, DataTypes.IntegerType), plan);
        return new Filter(condition, limited);
    }

    public static Function1<SparkSession, Rule<LogicalPlan>> builder(long cap) {
        RowCap rule = new RowCap(cap);
        return new AbstractFunction1<SparkSession, Rule<LogicalPlan>>() {
            @Override
            public Rule<LogicalPlan> apply(SparkSession session) {
                return rule;
            }
        };
    }
}
