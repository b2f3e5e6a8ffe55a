package org.kexecsim.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.PrepareReport;
import org.kexecsim.transition.PrepareRequest;
import org.kexecsim.transition.Preparation;
import org.kexecsim.transition.TransitionDesign;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kexec-sim prepare}: boots a synthetic kernel, crashes it, loads an image and builds one
 * design's transition tables; reports every table page with its role, the control page's
 * mappings and whether the pgd CR3 pointed at survived.
 */
@Command(
    name = "prepare",
    description = {
      "Boots and crashes a synthetic kernel, kexec-loads an image the way the kernel checks and",
      "places it, and builds the transition page tables of one design. Reports the control page,",
      "every table page allocated with its role, the control page's mappings (checked by a",
      "supervisor instruction fetch through the new tables), whether any page reachable from",
      "the old CR3 was written, and the conflicts argued about in the 2006 review.",
      "Exit 0 when the old CR3's tables survived, 1 when they were written, 3 when the kernel",
      "refuses the load (the errno and why)."
    })
final class PrepareCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DesignChoice choice = new DesignChoice();

  @Option(names = "--ram", defaultValue = "4G", description = "RAM size (4G, 512M, 32T) or an e820-style map "
      + "(0-0x9fffffff,0xa0000000+64M:reserved,...); default: ${DEFAULT-VALUE}")
  String ram;

  @Option(names = "--crashkernel", defaultValue = "256M-4G:128M,4G-64G:256M,64G-:512M",
      description = "the crashkernel= value: size[@offset], size,high or start-[end]:size,...; "
          + "default: ${DEFAULT-VALUE}")
  String crashkernel;

  @Option(names = "--kexec", defaultValue = "crash", description = "normal (kexec -l) or crash (kexec -p); default: ${DEFAULT-VALUE}")
  String kexec;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic kernel and its page allocator; default: ${DEFAULT-VALUE}")
  long seed;

  @Option(names = "--control-page", converter = Numbers.class,
      description = "place the control page here instead of letting the kernel's allocator choose")
  Long controlPage;

  @Option(names = "--switch-va", converter = Numbers.class,
      description = "run the switching code at this VA instead of the design's own (a hypervisor, another split)")
  Long switchVa;

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Override
  public Integer call() {
    Arch a = choice.arch(spec.commandLine());
    TransitionDesign d = choice.design(spec.commandLine());
    RamMap map = ram.contains("-") || ram.contains("+") ? RamMap.parse(ram)
        : RamMap.ofSize(Numbers.ram(spec.commandLine(), "--ram", sizeOf(ram), a));
    RamLimit.check(a, map); // a parsed map's end too, not only a size
    PrepareRequest request = new PrepareRequest(
        a, d, map,
        crashkernel.isBlank() ? Optional.empty() : Optional.of(crashkernel), ImageType.fromCliName(kexec), seed,
        controlPage == null ? OptionalLong.empty() : OptionalLong.of(controlPage),
        switchVa == null ? OptionalLong.empty() : OptionalLong.of(switchVa));
    PrepareReport report = Preparation.run(request);
    PrintWriter out = spec.commandLine().getOut();
    if (output.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("format", "kexec-sim/prepare/v1");
      doc.putAll(report.toMap());
      Json.print(out, doc);
    } else {
      out.print(report.toText());
    }
    return report.wroteOldCr3() ? ExitCode.NEGATIVE : ExitCode.OK;
  }

  private long sizeOf(String text) {
    try {
      return org.kexecsim.memory.ByteSize.parse(text);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--ram: " + e.getMessage());
    }
  }
}
