package dev.batcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batcher.testing.ManualTimeSource;
import org.junit.jupiter.api.Test;

/** The shared clock: producers use the former's reading only while it is fresh. */
class FormerSignalTest {

  @Test
  void acceptanceTime_whileFormingOrSaturated_isTheFormersReading() {
    FormerSignal signal = new FormerSignal();
    ManualTimeSource clock = new ManualTimeSource();
    signal.forming(700);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(700);
    signal.set(FormerSignal.SATURATED);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(700);
    assertThat(clock.reads()).as("no clock read").isZero();
  }

  @Test
  void acceptanceTime_whileSettling_isTheSettlersReading() {
    FormerSignal signal = new FormerSignal();
    ManualTimeSource clock = new ManualTimeSource();
    signal.settling(800);
    assertThat(signal.acceptanceTime(clock)).isEqualTo(800);
    signal.settling(900); // a refresh
    assertThat(signal.acceptanceTime(clock)).isEqualTo(900);
    assertThat(clock.reads()).as("no clock read").isZero();
    signal.wakeAny();
    assertThat(signal.state()).as("settling is awake").isEqualTo(FormerSignal.SETTLING);
  }

  @Test
  void acceptanceTime_otherwise_readsTheClock() {
    FormerSignal signal = new FormerSignal();
    ManualTimeSource clock = new ManualTimeSource();
    signal.forming(700);
    for (int state : new int[] {FormerSignal.RUNNING, FormerSignal.IDLE, FormerSignal.DELAYING}) {
      signal.set(state);
      assertThat(signal.acceptanceTime(clock)).as("state %s", state).isEqualTo(ManualTimeSource.START_NANOS);
    }
    assertThat(clock.reads()).isEqualTo(3);
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
