package dev.batcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void writesEverything() {
    RecordingSink<Integer> sink = new RecordingSink<>();
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    try (Batcher<Integer> b = Batcher.builder(sink).maxBatchSize(10).build()) {
      for (int i = 0; i < 1000; i++) {
        fs.add(b.submit(i));
      }
    }
    fs.forEach(CompletableFuture::join);
    assertThat(sink.allItems()).hasSize(1000);
  }
}
