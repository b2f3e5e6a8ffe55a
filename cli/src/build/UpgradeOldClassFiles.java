import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * Build step of the cli jar (cli/pom.xml, package phase, before the AOT training run): rewrites
 * every class file older than Java 6 (major version < 50; picocli ships Java 5 class files) as a
 * Java 8 one with its StackMapTable frames computed, instructions unchanged. The JDK's AOT cache
 * (JEP 483) stores no class verified by the old type-inferring verifier ("Skipping ...: Old class
 * has been linked" in the training log), so without this every run loads, verifies and interprets
 * picocli's ~230 classes from the jar again.
 *
 * <p>Usage: java -cp asm.jar UpgradeOldClassFiles.java JAR (rewritten in place).
 */
public final class UpgradeOldClassFiles {
  public static void main(String[] args) throws IOException {
    Path jar = Path.of(args[0]);
    Path tmp = jar.resolveSibling(jar.getFileName() + ".upgrading");
    int upgraded = 0;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, UpgradeOldClassFiles.class.getClassLoader());
        ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        byte[] data = in.readAllBytes();
        if (e.getName().endsWith(".class") && data.length > 8 && ((data[6] & 0xff) << 8 | (data[7] & 0xff)) < 50) {
          data = upgrade(data, loader);
          upgraded++;
        }
        ZipEntry copy = new ZipEntry(e.getName());
        copy.setTime(e.getTime());
        out.putNextEntry(copy);
        out.write(data);
        out.closeEntry();
      }
    }
    Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
    System.out.println("UpgradeOldClassFiles: " + upgraded + " class files of " + jar + " now Java 8 with stack map frames");
  }

  private static byte[] upgrade(byte[] data, ClassLoader loader) {
    ClassReader reader = new ClassReader(data);
    // frames need the common superclass of two types: resolved through the jar's own classes
    ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
      @Override
      protected ClassLoader getClassLoader() {
        return loader;
      }
    };
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
        super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
      }
    }, ClassReader.SKIP_FRAMES);
    return writer.toByteArray();
  }
}
