// Before the getting-started build: the page's table (step 3), in a schema of its own.
if (runGettingStarted != 'true') {
  return true
}
def connection = new org.postgresql.Driver().connect(adminJdbcUrl, new Properties())
assert connection != null : "not a PostgreSQL URL: ${adminJdbcUrl}"
connection.withCloseable { c ->
  c.createStatement().withCloseable { s ->
    s.execute("DROP SCHEMA IF EXISTS ${gettingStartedSchema} CASCADE".toString())
    s.execute("CREATE SCHEMA ${gettingStartedSchema}".toString())
    s.execute("""CREATE TABLE ${gettingStartedSchema}.likes (
      post_id BIGINT NOT NULL,
      user_id BIGINT NOT NULL,
      PRIMARY KEY (post_id, user_id)
    )""".toString())
  }
}
return true
