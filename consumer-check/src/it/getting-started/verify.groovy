// After the getting-started build (the page's `mvn compile exec:java`, twice): the program
// compiled against what we publish; run, it stored every like the first time, and the second
// time logged each duplicate on one line, without a stack trace; Maven warned of nothing.
def log = new File(basedir, 'build.log').readLines()
def maven = log.findAll { it.startsWith('[WARNING]') || it.startsWith('[ERROR]') }
assert maven.isEmpty() : "the getting-started build warned:\n" + maven.join('\n')
assert new File(basedir, 'target/classes/GettingStarted.class').isFile() : 'the program did not compile'
if (runGettingStarted != 'true') {
  return true
}

def done = log.findAll { it.endsWith('INFO GettingStarted - 10000 likes submitted; any that were not stored are logged above') }
assert done.size() == 2 : "expected the program's last line once per run:\n" + done.join('\n')
def notStored = log.findAll { it ==~ /\[batcher-likes-flush-\d+\] WARN GettingStarted - like Like\[postId=42, userId=\d+\] not stored: ItemWriteException/ }
assert notStored.size() == 10000 : "the second run logged ${notStored.size()} likes as not stored, not 10000"
def stack = log.findAll { it.startsWith('\tat ') || it.startsWith('Caused by: ') || it.startsWith('dev.batcher.') }
assert stack.isEmpty() : "a failure was logged with its stack trace:\n" + stack.take(5).join('\n')

def connection = new org.postgresql.Driver().connect(adminJdbcUrl, new Properties())
connection.withCloseable { c ->
  c.createStatement().withCloseable { s ->
    def rs = s.executeQuery("SELECT count(*) FROM ${gettingStartedSchema}.likes WHERE post_id = 42".toString())
    rs.next()
    assert rs.getLong(1) == 10000 : "the table holds ${rs.getLong(1)} likes of post 42, not 10000"
    s.execute("DROP SCHEMA ${gettingStartedSchema} CASCADE".toString())
  }
}
return true
