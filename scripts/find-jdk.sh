# Sourced by ./kexec-sim, .ci/run and ./bench: sets JAVA_HOME to a JDK >= 25.
# Order: KEXEC_SIM_JAVA_HOME, JAVA_HOME, then the usual install locations.
# A JDK's version is read from its "release" file (JAVA_VERSION="25.0.3"; every OpenJDK build
# since 9 ships one) so that finding the JDK starts no JVM; only a JDK without that file is asked
# by running it.
# Sets _ksim_major. The release file is read with the shell's own read, not sed in a command
# substitution: every launcher run sources this, and the forks cost it about 8 ms.
_ksim_java_major() {
  _ksim_major=""
  if [ -f "$1/release" ]; then
    while IFS= read -r _ksim_line || [ -n "$_ksim_line" ]; do
      case "$_ksim_line" in
        JAVA_VERSION=\"[0-9]*)
          _ksim_line=${_ksim_line#JAVA_VERSION=\"}
          _ksim_major=${_ksim_line%%[!0-9]*}
          break ;;
      esac
    done <"$1/release"
  else
    _ksim_major=$("$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1)
  fi
}
_ksim_found=""
for _ksim_candidate in "${KEXEC_SIM_JAVA_HOME:-}" "${JAVA_HOME:-}" \
    /usr/lib/jvm/* /usr/java/* /usr/jdk/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
  [ -n "$_ksim_candidate" ] && [ -x "$_ksim_candidate/bin/java" ] && [ -x "$_ksim_candidate/bin/javac" ] || continue
  _ksim_java_major "$_ksim_candidate"
  if [ -n "$_ksim_major" ] && [ "$_ksim_major" -ge 25 ]; then
    _ksim_found="$_ksim_candidate"
    break
  fi
done
if [ -z "$_ksim_found" ]; then
  echo "kexec-sim: no JDK >= 25 found (looked at KEXEC_SIM_JAVA_HOME, JAVA_HOME, /usr/lib/jvm, /usr/java, /opt/java); install one, e.g. a Temurin 25 package" >&2
  exit 4
fi
JAVA_HOME="$_ksim_found"
unset _ksim_found _ksim_candidate _ksim_major _ksim_line
