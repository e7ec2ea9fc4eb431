package dev.batcher.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.batcher.docs.DocSamples.Block;
import dev.batcher.docs.DocSamples.Region;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block of README.md and docs/ is code that compiles and runs: it must equal
 * a tagged region ({@code // tag::name[]} ... {@code // end::name[]}, see {@link DocSamples}) of a
 * test source in any module of the repository. A block that is not code is marked as another
 * language ({@code ```text}).
 *
 * <p>To change a sample, change the test that holds it, then copy its region (de-indented) into
 * the markdown; a failure names the block's file and line and the nearest region, with the first
 * line where they differ.
 */
class DocSamplesTest {
  /** The repository root: the parent of this module's directory (Maven's {@code basedir}). */
  private static final Path ROOT =
      Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();

  @Test
  void everyJavaBlockOfTheDocs_isATaggedRegionOfATestSource() throws IOException {
    List<Region> regions = new ArrayList<>();
    for (Path source : DocSamples.testSources(ROOT)) {
      regions.addAll(DocSamples.regions(ROOT.relativize(source), Files.readAllLines(source)));
    }
    List<Block> blocks = new ArrayList<>();
    for (Path markdown : DocSamples.markdownFiles(ROOT)) {
      blocks.addAll(DocSamples.blocks(ROOT.relativize(markdown), Files.readAllLines(markdown)));
    }
    assertThat(blocks).as("```java blocks in README.md and docs/ (is the root %s?)", ROOT)
        .isNotEmpty();

    List<String> problems = new ArrayList<>();
    for (Block block : blocks) {
      if (regions.stream().noneMatch(r -> r.lines().equals(block.lines()))) {
        problems.add(mismatch(block, regions));
      }
    }
    if (!problems.isEmpty()) {
      fail(problems.size() + " of " + blocks.size() + " ```java blocks are not compiled samples."
          + " Each must equal a region between '// tag::<name>[]' and '// end::<name>[]' in a"
          + " test source (de-indented), or be marked ```text if it is not code.\n\n"
          + String.join("\n\n", problems));
    }
  }

  @Test
  void blocks_areReadWithoutTheirFenceOrIndentation() {
    List<String> markdown = List.of("text", "  ```java", "  int a = 1;", "", "    a++;", "  ```",
        "```text", "not code", "```");
    assertThat(DocSamples.blocks(Path.of("x.md"), markdown))
        .containsExactly(new Block(Path.of("x.md"), 2, List.of("int a = 1;", "", "  a++;")));
  }

  @Test
  void regions_ofOneNameAreJoined_eachPartDeIndented_nestedTagLinesLeftOut() {
    List<String> source = List.of(
        "class A {",
        "  // tag::all[]",
        "  record R() {}",
        "",
        "  // end::all[]",
        "  void m() {",
        "    // tag::all[]",
        "    // tag::inner[]",
        "    int a = 1;",
        "    // end::inner[]",
        "    if (a > 0) {",
        "      a++;",
        "    // end::all[]",
        "    }",
        "  }",
        "}");
    assertThat(DocSamples.regions(Path.of("A.java"), source)).containsExactly(
        new Region(Path.of("A.java"), 2, "all",
            List.of("record R() {}", "", "int a = 1;", "if (a > 0) {", "  a++;")),
        new Region(Path.of("A.java"), 8, "inner", List.of("int a = 1;")));
  }

  @Test
  void regions_unbalancedTags_areReportedWithTheirLine() {
    assertThatThrownBy(() -> DocSamples.regions(Path.of("A.java"), List.of("// tag::a[]", "x")))
        .hasMessage("A.java:1: tag::a[] is never ended");
    assertThatThrownBy(() -> DocSamples.regions(Path.of("A.java"), List.of("x", "// end::a[]")))
        .hasMessage("A.java:2: end::a[] without tag::a[]");
  }

  private static String mismatch(Block block, List<Region> regions) {
    String where = block.file() + ":" + block.line();
    Region nearest = regions.stream()
        .max(Comparator.comparingInt(r -> DocSamples.commonLines(r.lines(), block.lines())))
        .orElse(null);
    if (nearest == null || DocSamples.commonLines(nearest.lines(), block.lines()) == 0) {
      return where + ": no tagged region resembles this block; its first line is '"
          + (block.lines().isEmpty() ? "" : block.lines().get(0)) + "'";
    }
    int k = 0;
    while (k < block.lines().size() && k < nearest.lines().size()
        && block.lines().get(k).equals(nearest.lines().get(k))) {
      k++;
    }
    return where + ": nearest region is tag '" + nearest.tag() + "' at " + nearest.file() + ":"
        + nearest.line() + "; they differ from line " + (k + 1) + " of the block:\n"
        + "  doc:    " + lineOrEnd(block.lines(), k) + "\n"
        + "  region: " + lineOrEnd(nearest.lines(), k);
  }

  private static String lineOrEnd(List<String> lines, int k) {
    return k < lines.size() ? lines.get(k) : "(end of sample)";
  }
}
