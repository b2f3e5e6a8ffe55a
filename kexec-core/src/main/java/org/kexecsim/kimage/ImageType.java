package org.kexecsim.kimage;

import org.kexecsim.input.CliNamed;

/** kexec_load(2) without or with KEXEC_ON_CRASH (include/linux/kexec.h KEXEC_TYPE_DEFAULT / KEXEC_TYPE_CRASH). */
public enum ImageType implements CliNamed {
  /** Loaded through a source list, relocated at reboot time: kexec -l. */
  NORMAL,
  /** Loaded straight into the crash region, started by a panic: kexec -p. */
  CRASH;

  public static ImageType fromCliName(String name) {
    return CliNamed.parse(ImageType.class, "kexec type", name, ImpossibleLayoutException::new);
  }
}
