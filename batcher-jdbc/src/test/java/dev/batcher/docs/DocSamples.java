package dev.batcher.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the two sides of the docs' compiled-samples convention: the {@code ```java} blocks of the
 * markdown, and the tagged regions of the test sources that hold the same code.
 *
 * <p>A region lies between a line {@code // tag::<name>[]} and a line {@code // end::<name>[]} of
 * one file. Tag lines of other regions inside it are left out, so regions may nest. A name used
 * for several regions of one file joins them, in file order, into one sample (as Asciidoctor's
 * {@code include::...[tag=...]} does): that is how a sample shows a class member and a method's
 * body as one snippet. Each part is de-indented by its own smallest indentation, so a member at
 * two spaces and a statement at four both start at the margin.
 *
 * <p>Both sides are compared as lines with trailing white space removed and without leading or
 * trailing blank lines.
 */
final class DocSamples {
  private static final Pattern FENCE_OPEN = Pattern.compile("^(\\s*)```java\\s*$");
  private static final Pattern TAG = Pattern.compile("^\\s*// (tag|end)::([\\w.-]+)\\[\\]\\s*$");

  private DocSamples() {}

  /** A {@code ```java} block: its file, the line of its opening fence (1-based), its lines. */
  record Block(Path file, int line, List<String> lines) {}

  /** A tagged region: its file, the line of its first tag (1-based), its name, its lines. */
  record Region(Path file, int line, String tag, List<String> lines) {}

  /** Returns the {@code ```java} blocks of {@code markdown}, in order. */
  static List<Block> blocks(Path file, List<String> markdown) {
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < markdown.size(); i++) {
      Matcher open = FENCE_OPEN.matcher(markdown.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      List<String> lines = new ArrayList<>();
      int j = i + 1;
      while (j < markdown.size() && !markdown.get(j).strip().equals("```")) {
        String line = markdown.get(j);
        lines.add(line.startsWith(indent) ? line.substring(indent.length()) : line.strip());
        j++;
      }
      if (j == markdown.size()) {
        throw new IllegalStateException(file + ":" + (i + 1) + ": ```java block is never closed");
      }
      blocks.add(new Block(file, i + 1, normalize(lines)));
      i = j;
    }
    return blocks;
  }

  /**
   * Returns the tagged regions of {@code source}, one per name, in the order their first parts
   * start.
   *
   * @throws IllegalStateException if a tag is ended without being opened, opened twice at once,
   *     or never ended
   */
  static List<Region> regions(Path file, List<String> source) {
    Map<String, Integer> openSince = new LinkedHashMap<>();
    Map<String, Integer> firstLine = new LinkedHashMap<>();
    Map<String, List<String>> joined = new LinkedHashMap<>();
    Map<String, List<String>> part = new LinkedHashMap<>();
    for (int i = 0; i < source.size(); i++) {
      String line = source.get(i);
      Matcher tag = TAG.matcher(line);
      if (tag.matches()) {
        String name = tag.group(2);
        String where = file + ":" + (i + 1) + ": ";
        if (tag.group(1).equals("tag")) {
          if (openSince.containsKey(name)) {
            throw new IllegalStateException(where + "tag::" + name + "[] opened again before its"
                + " end (opened at line " + openSince.get(name) + ")");
          }
          openSince.put(name, i + 1);
          firstLine.putIfAbsent(name, i + 1);
          part.put(name, new ArrayList<>());
        } else {
          if (!openSince.containsKey(name)) {
            throw new IllegalStateException(where + "end::" + name + "[] without tag::" + name
                + "[]");
          }
          openSince.remove(name);
          joined.computeIfAbsent(name, n -> new ArrayList<>()).addAll(deIndent(part.remove(name)));
        }
        continue;
      }
      for (List<String> open : part.values()) {
        open.add(line);
      }
    }
    if (!openSince.isEmpty()) {
      Map.Entry<String, Integer> first = openSince.entrySet().iterator().next();
      throw new IllegalStateException(file + ":" + first.getValue() + ": tag::" + first.getKey()
          + "[] is never ended");
    }
    List<Region> regions = new ArrayList<>();
    joined.forEach((name, lines) ->
        regions.add(new Region(file, firstLine.get(name), name, normalize(lines))));
    return regions;
  }

  /** Returns the markdown files checked: README.md and every {@code .md} under docs/. */
  static List<Path> markdownFiles(Path root) {
    List<Path> files = new ArrayList<>();
    files.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  /**
   * Returns every Java file under a {@code src/test/java} directory of the repository, in any
   * module, and of the consumer check's projects ({@code consumer-check/src/it/}, such as the
   * getting-started program), skipping build output and hidden directories.
   */
  static List<Path> testSources(Path root) {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> all = Files.walk(root)) {
      all.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> {
            Path rel = root.relativize(p);
            for (Path part : rel) {
              String name = part.toString();
              if (name.equals("target") || name.startsWith(".")) {
                return false;
              }
            }
            String path = rel.toString().replace('\\', '/');
            return path.contains("src/test/java/") || path.startsWith("consumer-check/src/it/");
          })
          .sorted()
          .forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }

  /** How many lines of {@code a} and {@code b} match in order (longest common subsequence). */
  static int commonLines(List<String> a, List<String> b) {
    int[][] lcs = new int[a.size() + 1][b.size() + 1];
    for (int i = a.size() - 1; i >= 0; i--) {
      for (int j = b.size() - 1; j >= 0; j--) {
        lcs[i][j] = a.get(i).equals(b.get(j))
            ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    return lcs[0][0];
  }

  private static List<String> deIndent(List<String> lines) {
    int indent = Integer.MAX_VALUE;
    for (String line : lines) {
      if (!line.isBlank()) {
        indent = Math.min(indent, line.length() - line.stripLeading().length());
      }
    }
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(line.isBlank() ? "" : line.substring(indent));
    }
    return out;
  }

  private static List<String> normalize(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(line.stripTrailing());
    }
    while (!out.isEmpty() && out.get(0).isEmpty()) {
      out.remove(0);
    }
    while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }
}
