package org.kexecsim.transition;

import org.junit.jupiter.api.Test;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;

class SmokeTest {
  @Test
  void all() {
    for (Arch a : Arch.values()) {
      for (TransitionDesign d : TransitionDesign.all()) {
        for (ImageType t : ImageType.values()) {
          PrepareReport r = Preparation.run(PrepareRequest.of(a, d, RamMap.ofSize(2L << 30), "256M", t, 42));
          System.out.println(r.toText());
        }
      }
    }
  }
}
