package dev.batcher.benchmarks.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadAverageTest {

  @Test
  void parse_procLoadavgLine() {
    assertThat(LoadAverage.parse("0.65 0.21 0.08 2/210 7754\n"))
        .isEqualTo(new LoadAverage(0.65, 0.21, 0.08));
  }

  @Test
  void parse_notThreeNumbers_isRejected() {
    assertThatThrownBy(() -> LoadAverage.parse("0.65 busy"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("procLoadavg must start with three numbers: \"0.65 busy\"");
  }

  @Test
  void describe_givesTheKnownFigures() {
    assertThat(new LoadAverage(1.5, 0.25, 0.125).describe()).isEqualTo("1.50 0.25 0.13");
    assertThat(new LoadAverage(1.5, Double.NaN, Double.NaN).describe()).isEqualTo("1.50");
    assertThat(LoadAverage.UNKNOWN.describe()).isEqualTo("unknown");
  }

  @Test
  void read_onThisMachine_knowsTheOneMinuteFigure() {
    // Linux (here and in CI) has /proc/loadavg; the JVM's figure is the fallback elsewhere
    assertThat(LoadAverage.read().known()).isTrue();
  }
}
