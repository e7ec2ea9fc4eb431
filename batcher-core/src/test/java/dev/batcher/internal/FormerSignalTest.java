package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.TimeSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared clock: producers use the former's reading only while it is fresh. */
class FormerSignalTest {

  /** A clock that counts its reads and always says 1,000. */
  private static final class CountingClock implements TimeSource {
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public long nanoTime() {
      reads.incrementAndGet();
      return 1_000;
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {}
  }

  @Test
  void acceptanceTime_whileFormingOrSaturated_isTheFormersReading() {
    FormerSignal signal = new FormerSignal();
    CountingClock clock = new CountingClock();
    signal.forming(700);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(700);
    signal.set(FormerSignal.SATURATED);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(700);
    assertThat(clock.reads).as("no clock read").hasValue(0);
  }

  @Test
  void acceptanceTime_whileSettling_isTheSettlersReading() {
    FormerSignal signal = new FormerSignal();
    CountingClock clock = new CountingClock();
    signal.settling(800);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(800);
    signal.settling(900); // a refresh
    assertThat(signal.acceptanceTime(clock)).isEqualTo(900);
    assertThat(clock.reads).as("no clock read").hasValue(0);
    signal.wakeAny();
    assertThat(signal.state()).as("settling is awake").isEqualTo(FormerSignal.SETTLING);
  }

  @Test
  void acceptanceTime_otherwise_readsTheClock() {
    FormerSignal signal = new FormerSignal();
    CountingClock clock = new CountingClock();
    signal.forming(700);
    for (int state : new int[] {FormerSignal.RUNNING, FormerSignal.IDLE, FormerSignal.LINGER}) {
      signal.set(state);
      assertThat(signal.acceptanceTime(clock)).as("state %s", state).isEqualTo(1_000);
    }
    assertThat(clock.reads).hasValue(3);
  }

  @Test
  void wakeAny_leavesAnAwakeFormerAlone() {
    FormerSignal signal = new FormerSignal();
    signal.forming(1);
    signal.wakeAny();
    assertThat(signal.state()).isEqualTo(FormerSignal.FORMING);
    signal.set(FormerSignal.SATURATED);
    signal.wakeAny();
    assertThat(signal.state()).isEqualTo(FormerSignal.RUNNING);
  }
}
