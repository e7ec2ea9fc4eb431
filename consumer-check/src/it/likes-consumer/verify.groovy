// After the consumer's build: the BOM it imported must hand it our modules' versions and nothing
// else (no parent, so no JUnit, pgjdbc or H2 versions of our build), and the build must be quiet.
import groovy.xml.XmlSlurper

def version = new XmlSlurper().parse(new File(basedir, 'pom.xml')).dependencyManagement.dependencies.dependency[0].version.text()
def bom = new File(localRepositoryPath, "dev/batcher/batcher-bom/${version}/batcher-bom-${version}.pom")
assert bom.isFile() : "no BOM installed at ${bom}"
def pom = new XmlSlurper().parse(bom)
assert pom.parent.isEmpty() : "the installed BOM names a parent, whose dependencyManagement would reach importers"
def managed = pom.dependencyManagement.dependencies.dependency.collect {
  "${it.groupId}:${it.artifactId}" + (it.type.text() ? ":${it.type}" : '')
}.collect { it.toString() }
assert managed == ['dev.batcher:batcher-core', 'dev.batcher:batcher-core:test-jar', 'dev.batcher:batcher-jdbc', 'dev.batcher:batcher-micrometer'] : "the BOM manages ${managed}"
assert pom.licenses.license.name.text() == 'Apache-2.0' : 'the BOM lost the license'

def warnings = new File(basedir, 'build.log').readLines().findAll { it.contains('[WARNING]') }
assert warnings.isEmpty() : "the consumer's build warned:\n" + warnings.join('\n')
return true
