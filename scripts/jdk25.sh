# Sourced by ./lorakit, ./lorakit-dev and ./build: sets LORAKIT_JAVA_HOME to a JDK 25 or newer, or explains what to
# install (lorakit_find_jdk), reads the JVM flags every run needs (lorakit_jvm_flags), and runs Java without its
# incubator warning (lorakit_run_java).
# Order: JAVA_HOME if it is >= 25, else `java` on PATH if >= 25, else /usr/lib/jvm/*25* (and newer).
# LORAKIT_JVM_DIR replaces /usr/lib/jvm as the folder searched last.

lorakit_java_major() { # prints the feature version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1
}

lorakit_find_jdk() {
  local candidate major
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    major=$(lorakit_java_major "$JAVA_HOME/bin/java")
    if [[ -n $major && $major -ge 25 ]]; then LORAKIT_JAVA_HOME=$JAVA_HOME; return 0; fi
  fi
  if candidate=$(command -v java 2>/dev/null); then
    major=$(lorakit_java_major "$candidate")
    if [[ -n $major && $major -ge 25 ]]; then
      LORAKIT_JAVA_HOME=$(cd "$(dirname "$(readlink -f "$candidate")")/.." && pwd); return 0
    fi
  fi
  local jvms=${LORAKIT_JVM_DIR:-/usr/lib/jvm}
  for candidate in "$jvms"/*25* "$jvms"/*2[6-9]* "$jvms"/*3[0-9]*; do
    [[ -x $candidate/bin/java ]] || continue
    major=$(lorakit_java_major "$candidate/bin/java")
    if [[ -n $major && $major -ge 25 ]]; then LORAKIT_JAVA_HOME=$candidate; return 0; fi
  done
  echo "lorakit needs a JDK 25 or newer (none in JAVA_HOME, on PATH or under $jvms): install one, e.g. Temurin 25 from https://adoptium.net, and set JAVA_HOME to it." >&2
  return 1
}

# Sets the array LORAKIT_JVM_FLAGS to the flags every run needs, from scripts/jvm-flags.properties (their one
# definition, which the Maven build reads too).
lorakit_jvm_flags() {
  local file line
  file=$(dirname "${BASH_SOURCE[0]}")/jvm-flags.properties
  line=$(sed -n 's/^lorakit\.jvm\.flags=//p' "$file")
  [[ -n $line ]] || { echo "lorakit: no lorakit.jvm.flags line in $file" >&2; return 1; }
  read -r -a LORAKIT_JVM_FLAGS <<<"$line"
}

# The module system prints "WARNING: Using incubator modules: jdk.incubator.vector" on every start of a program
# that uses the Vector API, and no option turns it off; it is the first line on stderr, so that line alone is left
# out, by a filter that ignores Ctrl-C so that what the program prints when stopped still gets through.
lorakit_quiet_start() {
  trap '' INT TERM HUP
  local first
  if IFS= read -r first; then
    [[ $first == "WARNING: Using incubator modules: jdk.incubator.vector" ]] || printf '%s\n' "$first"
    exec cat
  fi
}

# Runs the command "$@" (java and its arguments) with its standard error through lorakit_quiet_start, then exits
# with its status. Java runs as a child so that the script can wait for the filter to pass on the last line before it
# exits. Being started in the background, it ignores SIGINT; Ctrl-C and SIGTERM reach it as SIGTERM, which stops it
# the same way (status 130, 143 or 129 as for the signal). Its standard input is the script's (a background command
# would otherwise read /dev/null).
lorakit_run_java() {
  local filter status=0
  exec 4> >(lorakit_quiet_start >&2)
  filter=$!
  "$@" <&0 2>&4 &
  lorakit_java_pid=$!
  exec 4>&-
  lorakit_interrupted=
  trap 'lorakit_interrupted=130; kill -TERM "$lorakit_java_pid" 2>/dev/null' INT
  trap 'lorakit_interrupted=143; kill -TERM "$lorakit_java_pid" 2>/dev/null' TERM
  trap 'lorakit_interrupted=129; kill -TERM "$lorakit_java_pid" 2>/dev/null' HUP
  while :; do
    wait "$lorakit_java_pid" && status=0 || status=$?
    kill -0 "$lorakit_java_pid" 2>/dev/null || break
  done
  while kill -0 "$filter" 2>/dev/null; do sleep 0.02; done
  [[ -n $lorakit_interrupted && $status -ne 0 ]] && status=$lorakit_interrupted
  exit "$status"
}
