package dev.batcher.benchmarks.results;

import java.time.Duration;
import java.util.Optional;

/**
 * Where {@link BenchmarksMain} reads how busy the machine is: the load average, the CPU time
 * counters, and a pause between two readings. Tests pass a fake, so that nothing in them waits or
 * depends on the machine; {@link #system()} reads this machine.
 */
interface MachineProbe {
  /** The load average now. */
  LoadAverage loadAverage();

  /** The CPU time counters now, or empty where the system has none. */
  Optional<CpuTimes> cpuTimes();

  /** Waits {@code duration}, the interval between two readings of the counters. */
  void pause(Duration duration) throws InterruptedException;

  /** This machine: {@link LoadAverage#read()}, {@link CpuTimes#read()} and a real sleep. */
  static MachineProbe system() {
    return new MachineProbe() {
      @Override
      public LoadAverage loadAverage() {
        return LoadAverage.read();
      }

      @Override
      public Optional<CpuTimes> cpuTimes() {
        return CpuTimes.read();
      }

      @Override
      public void pause(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
      }
    };
  }
}
