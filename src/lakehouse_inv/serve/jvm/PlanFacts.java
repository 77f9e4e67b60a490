package lakehouse_inv.jvm;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.SparkEnv;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTableValuedFunction;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.RuntimeReplaceable;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.trees.TreePattern;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.execution.command.SetCommand;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.internal.SQLConf;
import scala.Option;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The facts of a plan the read-only guard decides on, one per line, tab-separated: every plan node and expression
 * class (subquery plans and the replacement of runtime-replaceable functions included), every relation with its
 * catalog name and its location, the key and value of a SET, and the session settings that differ from the server's.
 * The decision itself is made in Python (lakehouse_inv.serve.guard), on these lines: one py4j call per check.
 */
public final class PlanFacts {
    private PlanFacts() {}

    public static String of(LogicalPlan plan) {
        List<String> out = new ArrayList<>();
        out.add("command\t" + (plan.containsPattern(TreePattern.COMMAND()) ? "yes" : "no"));
        walk(plan, out, new IdentityHashMap<>());
        sessionChanges(out);
        return String.join("\n", out);
    }

    private static void walk(LogicalPlan plan, List<String> out, Map<Object, Boolean> seen) {
        if (seen.put(plan, Boolean.TRUE) != null) {
            return;
        }
        out.add("node\t" + plan.getClass().getSimpleName());
        if (plan instanceof LogicalRelation relation) {
            String name = relation.catalogTable().isDefined()
                    ? relation.catalogTable().get().identifier().unquotedString() : "";
            String location = "";
            String kind = relation.relation().getClass().getSimpleName();
            if (relation.relation() instanceof HadoopFsRelation fs) {
                kind = fs.fileFormat().getClass().getSimpleName();
                location = String.join(",", CollectionConverters.asJava(fs.location().rootPaths())
                        .stream().map(Object::toString).toList());
            }
            out.add("relation\t" + kind + "\t" + clean(name) + "\t" + clean(location));
        } else if (plan instanceof UnresolvedRelation unresolved) {
            out.add("reference\t" + clean(String.join("\u0001",
                    CollectionConverters.asJava(unresolved.multipartIdentifier()))));
        } else if (plan instanceof UnresolvedTableValuedFunction tvf) {
            out.add("function\t" + clean(String.join(".", CollectionConverters.asJava(tvf.name()))));
        } else if (plan instanceof SetCommand set) {
            Option<Tuple2<String, Option<String>>> kv = set.kv();
            if (kv.isDefined()) {
                Option<String> value = kv.get()._2();
                out.add("set\t" + clean(kv.get()._1()) + (value.isDefined() ? "\t" + clean(value.get()) : ""));
            } else {
                out.add("set");
            }
        }
        scala.collection.Iterator<Object> fields = plan.productIterator();
        while (fields.hasNext()) {
            field(fields.next(), out);
        }
        for (Expression expression : CollectionConverters.asJava(plan.expressions())) {
            expression(expression, out, seen);
        }
        for (LogicalPlan child : CollectionConverters.asJava(plan.children())) {
            walk(child, out, seen);
        }
    }

    /** A connector table held by a node (ResolvedTable, DataSourceV2Relation, Delta's DESCRIBE HISTORY ...). */
    private static void field(Object value, List<String> out) {
        if (value instanceof Option<?> option && option.isDefined()) {
            value = option.get();
        }
        if (value instanceof Table table) {
            String name = "";
            Object catalogTable = call(table, "catalogTable");  // Delta's DeltaTableV2: None when read by path
            if (catalogTable instanceof Option<?> option) {
                catalogTable = option.isDefined() ? option.get() : null;
            } else {
                catalogTable = call(table, "v1Table");  // Spark's V1Table: a table of the session catalog
            }
            Object identifier = catalogTable == null ? null : call(catalogTable, "identifier");
            if (identifier != null) {
                name = String.valueOf(call(identifier, "unquotedString"));
            }
            Object path = call(table, "path");
            out.add("relation\t" + table.getClass().getSimpleName() + "\t" + clean(name) + "\t"
                    + clean(path == null ? "" : path.toString()));
        }
    }

    private static void expression(Expression expression, List<String> out, Map<Object, Boolean> seen) {
        if (seen.put(expression, Boolean.TRUE) != null) {
            return;
        }
        out.add("expr\t" + expression.getClass().getSimpleName());
        if (expression instanceof SubqueryExpression subquery) {
            walk(subquery.plan(), out, seen);
        }
        if (expression instanceof RuntimeReplaceable replaceable) {
            expression(replaceable.replacement(), out, seen);
        }
        for (Expression child : CollectionConverters.asJava(expression.children())) {
            expression(child, out, seen);
        }
    }

    /**
     * Settings of the current session that differ from the server's Spark configuration and system properties: made
     * by SET, or by a JDBC URL's {@code ?key=value} / {@code #var=value}, which HiveServer2 applies without a SET.
     */
    private static void sessionChanges(List<String> out) {
        SQLConf conf = SQLConf.get();
        SparkEnv env = SparkEnv.get();
        for (Map.Entry<String, String> entry : CollectionConverters.asJava(conf.getAllConfs()).entrySet()) {
            Option<String> base = env == null ? Option.empty() : env.conf().getOption(entry.getKey());
            // HiveServer2 copies the server's own system properties (hive.server2.*) into each session
            boolean server = entry.getValue().equals(System.getProperty(entry.getKey()));
            if (!server && (!base.isDefined() || !base.get().equals(entry.getValue()))) {
                out.add("conf\t" + clean(entry.getKey()) + "\t" + clean(entry.getValue()));
            }
        }
    }

    private static Object call(Object target, String method) {
        try {
            Method m = target.getClass().getMethod(method);
            return m.getParameterCount() == 0 ? m.invoke(target) : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static String clean(String text) {
        return text.replace('\t', ' ').replace('\n', ' ');
    }
}
