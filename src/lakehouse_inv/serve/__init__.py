"""SQL access to the local warehouse: the Thrift JDBC/ODBC endpoint (``serve-sql``) and one-off queries (``sql``)."""
