package org.kexecsim.kimage;

/** kexec_load(2) without or with KEXEC_ON_CRASH (include/linux/kexec.h KEXEC_TYPE_DEFAULT / KEXEC_TYPE_CRASH). */
public enum ImageType {
  /** Loaded through a source list, relocated at reboot time: kexec -l. */
  NORMAL("normal"),
  /** Loaded straight into the crash region, started by a panic: kexec -p. */
  CRASH("crash");

  private final String cliName;

  ImageType(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static ImageType fromCliName(String name) {
    for (ImageType t : values()) {
      if (t.cliName.equals(name)) {
        return t;
      }
    }
    throw new ImpossibleLayoutException("unknown kexec type '" + name + "': expected normal or crash");
  }
}
