package dev.batcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/** A sink that records every batch it is given; optionally gated, to hold calls in flight. */
final class RecordingSink<T> implements BatchSink<T> {
  final List<List<T>> batches = new CopyOnWriteArrayList<>();
  private final Function<List<T>, BatchResult> answer;
  private final Semaphore gate;

  RecordingSink() {
    this(batch -> BatchResult.success(), Integer.MAX_VALUE);
  }

  RecordingSink(Function<List<T>, BatchResult> answer, int permits) {
    this.answer = answer;
    this.gate = new Semaphore(permits);
  }

  static <T> RecordingSink<T> gated() {
    return new RecordingSink<>(batch -> BatchResult.success(), 0);
  }

  void openForever() {
    gate.release(Integer.MAX_VALUE / 2);
  }

  @Override
  public BatchResult write(List<T> batch) throws Exception {
    gate.acquire();
    batches.add(new ArrayList<>(batch));
    return answer.apply(batch);
  }

  List<T> allItems() {
    List<T> all = new ArrayList<>();
    batches.forEach(all::addAll);
    return all;
  }

  List<Integer> sizes() {
    List<Integer> s = new ArrayList<>();
    batches.forEach(b -> s.add(b.size()));
    return s;
  }
}
