package dev.batcher.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CopyWriterTest {
  private static String escaped(String text) {
    StringBuilder sb = new StringBuilder();
    CopyWriter.escape(sb, text);
    return sb.toString();
  }

  @Test
  void escape_backslashTabNewlineCr_andNothingElse() {
    assertThat(escaped("a\\b\tc\nd\re")).isEqualTo("a\\\\b\\tc\\nd\\re");
    assertThat(escaped("\\N")).isEqualTo("\\\\N"); // text, not NULL
    assertThat(escaped("\\.")).isEqualTo("\\\\."); // text, not the end-of-data marker
    assertThat(escaped("\"' \uD83D\uDE00")).isEqualTo("\"' \uD83D\uDE00");
  }

  @Test
  void lineOf_readsTheLineOfTheCopyContext() {
    assertThat(CopyWriter.lineOf("COPY likes, line 42, column name: null input", "likes"))
        .isEqualTo(42);
    assertThat(CopyWriter.lineOf("COPY likes, line 1", "likes")).isEqualTo(1);
    assertThat(CopyWriter.lineOf("COPY x, line 9, column line 3: \"line 5\"", "x")).isEqualTo(9);
    assertThat(CopyWriter.lineOf("COPY t, line 7: \"a\"", "other")).isEqualTo(7);
    assertThat(CopyWriter.lineOf("SQL statement \"...\"", "likes")).isEqualTo(-1);
    assertThat(CopyWriter.lineOf(null, "likes")).isEqualTo(-1);
  }
}
