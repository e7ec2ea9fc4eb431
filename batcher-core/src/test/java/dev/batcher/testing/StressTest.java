package dev.batcher.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StressTest {
  @Test
  void parse_unset_isOne() {
    assertThat(Stress.parse(null)).isEqualTo(1);
  }

  @Test
  void parse_aNumber_isThatNumber() {
    assertThat(Stress.parse("10")).isEqualTo(10);
  }

  @Test
  void parse_notANumber_failsNamingThePropertyAndValue() {
    assertThatThrownBy(() -> Stress.parse("abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batcher.stress.scale must be a whole number: 'abc'");
  }

  @Test
  void parse_zero_isRejected() {
    assertThatThrownBy(() -> Stress.parse("0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batcher.stress.scale must be at least 1: 0");
  }
}
