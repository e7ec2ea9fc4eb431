// After the consumer's build: the BOM it imported must hand it our modules' versions and nothing
// else (no parent, so no JUnit, pgjdbc or H2 versions of our build), and the build must be quiet.
import groovy.xml.XmlSlurper
import java.util.zip.ZipFile

def version = new XmlSlurper().parse(new File(basedir, 'pom.xml')).dependencyManagement.dependencies.dependency[0].version.text()
def bom = new File(localRepositoryPath, "dev/batcher/batcher-bom/${version}/batcher-bom-${version}.pom")
assert bom.isFile() : "no BOM installed at ${bom}"
def pom = new XmlSlurper().parse(bom)
assert pom.parent.isEmpty() : "the installed BOM names a parent, whose dependencyManagement would reach importers"
def managed = pom.dependencyManagement.dependencies.dependency.collect {
  "${it.groupId}:${it.artifactId}" + (it.type.text() ? ":${it.type}" : '')
}.collect { it.toString() }
assert managed == ['dev.batcher:batcher-core', 'dev.batcher:batcher-core:test-jar', 'dev.batcher:batcher-jdbc', 'dev.batcher:batcher-micrometer', 'dev.batcher:batcher-redis'] : "the BOM manages ${managed}"
assert pom.licenses.license.name.text() == 'Apache-2.0' : 'the BOM lost the license'

// Every jar we publish holds the license, and the test fixtures' jars (classes, sources, Javadoc)
// hold the dev.batcher.testing package and nothing else of ours.
def expected = [
  'batcher-core': ['', '-sources', '-javadoc', '-tests', '-test-sources', '-test-javadoc'],
  'batcher-jdbc': ['', '-sources', '-javadoc'],
  'batcher-micrometer': ['', '-sources', '-javadoc'],
  'batcher-redis': ['', '-sources', '-javadoc'],
]
expected.each { module, classifiers ->
  classifiers.each { classifier ->
    def jar = new File(reactorRoot, "${module}/target/${module}-${version}${classifier}.jar")
    assert jar.isFile() : "no ${jar}"
    def names = new ZipFile(jar).withCloseable { z -> z.entries().collect { it.name } }
    assert names.contains('META-INF/LICENSE') : "${jar.name} has no META-INF/LICENSE"
    if (classifier.startsWith('-test')) {
      def ours = names.findAll { it.startsWith('dev/') && !it.endsWith('/') }
      assert !ours.isEmpty() && ours.every { it.startsWith('dev/batcher/testing/') } :
          "${jar.name} holds more than dev.batcher.testing: ${ours.findAll { !it.startsWith('dev/batcher/testing/') }}"
      assert !ours.any { it.contains('StressTest') } : "${jar.name} holds StressTest, a test and no fixture"
    }
  }
}

def warnings = new File(basedir, 'build.log').readLines().findAll { it.contains('[WARNING]') }
assert warnings.isEmpty() : "the consumer's build warned:\n" + warnings.join('\n')
return true
