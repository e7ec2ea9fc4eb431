package dev.batcher.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The versions the docs tell a reader to use are the ones this build uses: every {@code <version>}
 * of a dependency or plugin in a {@code ```xml} block of README.md and docs/, and every {@code
 * dev.batcher:artifact:version} coordinate in their text, is held to the parent POM (its {@code
 * dependencyManagement}, {@code pluginManagement} and properties; ours are the project's
 * version). A third-party artifact the parent does not manage is held to the version of the other
 * artifacts of its group there ({@code slf4j-simple} to {@code slf4j-api}'s).
 *
 * <p>The getting-started page's {@code pom.xml} is the {@code pom.xml} of the project the consumer
 * check builds and runs from it ({@code consumer-check/src/it/getting-started}), line for line,
 * and its main class is that project's program; it also imports the BOM as the other consumer
 * project does ({@code likes-consumer}), with the same Java release and a pinned compiler plugin.
 */
class DocVersionsTest {
  /** The repository root: the parent of this module's directory (Maven's {@code basedir}). */
  private static final Path ROOT =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
  private static final Pattern XML_OPEN = Pattern.compile("^\\s*```xml\\s*$");
  private static final Pattern OUR_COORDINATE =
      Pattern.compile("dev\\.batcher:([\\w.-]+):(\\d[\\w.-]*)");
  private static final String PLUGIN_GROUP = "org.apache.maven.plugins";
  /** The project of docs/getting-started.md, which the consumer check builds and runs. */
  private static final Path GETTING_STARTED = Path.of("consumer-check/src/it/getting-started");

  private static Map<String, String> properties;
  private static String projectVersion;
  /** groupId:artifactId of what the parent POM manages, to its resolved version. */
  private static Map<String, String> managed;

  /** A {@code ```xml} block: its file, the line of its opening fence (1-based), its text. */
  private record XmlBlock(Path file, int line, String text) {
    String where() {
      return file + ":" + line;
    }
  }

  @BeforeAll
  static void readTheParentPom() throws Exception {
    Element project = parse(Files.readString(ROOT.resolve("pom.xml"))).getDocumentElement();
    projectVersion = text(project, "version");
    properties = new LinkedHashMap<>();
    for (Element p : children(child(project, "properties"))) {
      properties.put(p.getTagName(), p.getTextContent().strip());
    }
    properties.put("project.version", projectVersion);
    managed = new LinkedHashMap<>();
    for (Element d : descendants(child(project, "dependencyManagement"), "dependency")) {
      managed.put(text(d, "groupId") + ":" + text(d, "artifactId"), resolve(text(d, "version")));
    }
    for (Element p : descendants(child(child(project, "build"), "pluginManagement"), "plugin")) {
      if (child(p, "version") != null) {
        managed.put(groupOf(p) + ":" + text(p, "artifactId"), resolve(text(p, "version")));
      }
    }
  }

  @Test
  void everyVersionInTheDocsXml_isTheOneTheBuildUses() throws Exception {
    List<String> problems = new ArrayList<>();
    int versions = 0;
    for (XmlBlock block : xmlBlocks()) {
      Element root = parse(block.text()).getDocumentElement();
      for (String kind : List.of("dependency", "plugin")) {
        for (Element e : descendants(root, kind)) {
          if (child(e, "version") == null) {
            continue;
          }
          versions++;
          String coordinate = groupOf(e) + ":" + text(e, "artifactId");
          String expected = expectedVersion(groupOf(e), text(e, "artifactId"));
          String actual = text(e, "version");
          if (expected == null) {
            problems.add(block.where() + ": " + coordinate + " " + actual + " is not managed by"
                + " the parent POM, so nothing holds its version");
          } else if (!expected.equals(actual)) {
            problems.add(block.where() + ": " + coordinate + " " + actual + ", but the build"
                + " uses " + expected);
          }
        }
      }
      for (Element release : descendants(root, "maven.compiler.release")) {
        if (!release.getTextContent().strip().equals(properties.get("maven.compiler.release"))) {
          problems.add(block.where() + ": maven.compiler.release " + release.getTextContent()
              + ", but the build uses " + properties.get("maven.compiler.release"));
        }
      }
    }
    assertThat(versions).as("versions in ```xml blocks of README.md and docs/").isPositive();
    if (!problems.isEmpty()) {
      fail(String.join("\n", problems));
    }
  }

  @Test
  void everyCoordinateOfOursInTheDocsText_hasTheProjectVersion() throws IOException {
    List<String> problems = new ArrayList<>();
    int found = 0;
    for (Path markdown : DocSamples.markdownFiles(ROOT)) {
      List<String> lines = Files.readAllLines(markdown);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = OUR_COORDINATE.matcher(lines.get(i));
        while (m.find()) {
          found++;
          if (!m.group(2).equals(projectVersion)) {
            problems.add(ROOT.relativize(markdown) + ":" + (i + 1) + ": " + m.group()
                + ", but the project's version is " + projectVersion);
          }
        }
      }
    }
    assertThat(found).as("dev.batcher:artifact:version coordinates in the docs").isPositive();
    assertThat(problems).isEmpty();
  }

  @Test
  void gettingStartedPom_isTheConsumerChecksProject() throws Exception {
    Path page = Path.of("docs", "getting-started.md");
    List<XmlBlock> projects = new ArrayList<>();
    for (XmlBlock block : xmlBlocks()) {
      if (block.file().equals(page)
          && parse(block.text()).getDocumentElement().getTagName().equals("project")) {
        projects.add(block);
      }
    }
    assertThat(projects).as("complete pom.xml blocks in %s", page).hasSize(1);
    Path project = ROOT.resolve(GETTING_STARTED);
    assertThat(lines(projects.get(0).text()))
        .as("the pom.xml of %s is the one the consumer check builds, %s", page,
            GETTING_STARTED.resolve("pom.xml"))
        .isEqualTo(lines(Files.readString(project.resolve("pom.xml"))));
    Element pom = parse(projects.get(0).text()).getDocumentElement();
    Element consumer = parse(Files.readString(
        ROOT.resolve("consumer-check/src/it/likes-consumer/pom.xml"))).getDocumentElement();

    for (String field : List.of("modelVersion", "groupId", "artifactId", "version")) {
      assertThat(text(pom, field)).as("the page's pom.xml %s", field).isNotBlank();
    }
    assertThat(text(child(pom, "properties"), "maven.compiler.release"))
        .isEqualTo(text(child(consumer, "properties"), "maven.compiler.release"));
    assertThat(imports(pom)).as("the page's BOM import").isEqualTo(
        imports(consumer).stream().filter(i -> i.contains(":batcher-bom:"))
            .map(i -> i.replace("@project.version@", projectVersion)).toList());
    // the compiler plugin is pinned, as the consumer check pins it: Maven 3.8's default cannot
    // compile for 17; the version itself is held to the build by the test above
    assertThat(pluginVersion(pom, "maven-compiler-plugin")).isNotNull();
    assertThat(pluginVersion(consumer, "maven-compiler-plugin"))
        .isEqualTo("@compiler-plugin.version@");
    // batcher-jdbc takes its version from the BOM
    assertThat(descendants(child(pom, "dependencies"), "dependency"))
        .filteredOn(d -> text(d, "artifactId").equals("batcher-jdbc"))
        .singleElement().satisfies(d -> assertThat(child(d, "version")).isNull());
    // exec:java runs the page's program, which has a main method
    Element exec = descendants(child(pom, "build"), "plugin").stream()
        .filter(p -> text(p, "artifactId").equals("exec-maven-plugin")).findFirst().orElseThrow();
    String mainClass = text(child(exec, "configuration"), "mainClass");
    Path program = project.resolve("src/main/java").resolve(mainClass.replace('.', '/') + ".java");
    assertThat(program).as("the main class of the page's pom.xml").isRegularFile();
    assertThat(Files.readString(program))
        .contains("public final class " + mainClass.substring(mainClass.lastIndexOf('.') + 1))
        .contains("public static void main(String[] args)");
  }

  /** The lines of {@code text}, trailing white space and leading or trailing blank lines off. */
  private static List<String> lines(String text) {
    return List.of(text.strip().lines().map(String::stripTrailing).toArray(String[]::new));
  }

  // ================================================================================ helpers

  private static String expectedVersion(String group, String artifact) {
    if (group.equals("dev.batcher")) {
      return projectVersion;
    }
    String exact = managed.get(group + ":" + artifact);
    if (exact != null) {
      return exact;
    }
    Set<String> ofGroup = new TreeSet<>();
    managed.forEach((k, v) -> {
      if (k.startsWith(group + ":")) {
        ofGroup.add(v);
      }
    });
    return ofGroup.size() == 1 ? ofGroup.iterator().next() : null;
  }

  /** The dependencyManagement imports, as groupId:artifactId:version:type:scope. */
  private static List<String> imports(Element project) {
    List<String> out = new ArrayList<>();
    for (Element d : descendants(child(project, "dependencyManagement"), "dependency")) {
      if ("import".equals(text(d, "scope"))) {
        out.add(String.join(":", text(d, "groupId"), text(d, "artifactId"), text(d, "version"),
            text(d, "type"), text(d, "scope")));
      }
    }
    return out;
  }

  private static String pluginVersion(Element project, String artifactId) {
    return descendants(child(project, "build"), "plugin").stream()
        .filter(p -> text(p, "artifactId").equals(artifactId) && child(p, "version") != null)
        .map(p -> text(p, "version")).findFirst().orElse(null);
  }

  private static List<XmlBlock> xmlBlocks() throws IOException {
    List<XmlBlock> blocks = new ArrayList<>();
    for (Path markdown : DocSamples.markdownFiles(ROOT)) {
      List<String> lines = Files.readAllLines(markdown);
      for (int i = 0; i < lines.size(); i++) {
        if (!XML_OPEN.matcher(lines.get(i)).matches()) {
          continue;
        }
        StringBuilder text = new StringBuilder();
        int j = i + 1;
        while (j < lines.size() && !lines.get(j).strip().equals("```")) {
          text.append(lines.get(j)).append('\n');
          j++;
        }
        String xml = text.toString().strip();
        // a fragment (the README's two elements) is read inside a root of its own
        blocks.add(new XmlBlock(ROOT.relativize(markdown), i + 1,
            xml.startsWith("<?xml") ? xml : "<fragment>" + xml + "</fragment>"));
        i = j;
      }
    }
    return blocks;
  }

  private static String resolve(String value) {
    Matcher m = Pattern.compile("\\$\\{([^}]+)}").matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = properties.get(m.group(1));
      if (v == null) {
        throw new IllegalStateException("the parent POM has no property " + m.group(1));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    return m.appendTail(out).toString();
  }

  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new InputSource(new StringReader(xml)));
  }

  private static String groupOf(Element dependencyOrPlugin) {
    Element group = child(dependencyOrPlugin, "groupId");
    return group == null ? PLUGIN_GROUP : group.getTextContent().strip();
  }

  private static Element child(Element parent, String name) {
    if (parent == null) {
      return null;
    }
    for (Element e : children(parent)) {
      if (e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static String text(Element parent, String name) {
    Element e = child(parent, name);
    return e == null ? null : e.getTextContent().strip();
  }

  private static List<Element> children(Element parent) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<Element> descendants(Element root, String name) {
    List<Element> out = new ArrayList<>();
    if (root == null) {
      return out;
    }
    NodeList all = root.getElementsByTagName(name);
    for (int i = 0; i < all.getLength(); i++) {
      out.add((Element) all.item(i));
    }
    return out;
  }
}
