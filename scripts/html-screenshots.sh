#!/usr/bin/env sh
# Regenerates the README's pictures of the --html pages (docs/img/*.png): runs the browser tests,
# which make each page with the CLI, open it in headless Chromium and save a screenshot there.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/find-jdk.sh"
export JAVA_HOME
cd "$root"
MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
  mvn -B -q -o -pl cli -am test -Dtest='HtmlPagesBrowserTest,LargeDiffPageBrowserTest' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dkexecsim.screenshots="$root/docs/img"
ls -l "$root"/docs/img/*.png
