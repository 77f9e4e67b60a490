#!/usr/bin/env bash
# Spark 4 needs Java 17 or 21 on PATH (or JAVA_HOME). Fail early with a clear message.
set -euo pipefail
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! command -v "$java_bin" >/dev/null 2>&1; then
  echo "error: Java not found. Install a JDK 17 (e.g. 'apt-get install openjdk-17-jdk-headless') or set JAVA_HOME." >&2
  exit 1
fi
version=$("$java_bin" -version 2>&1 | awk -F'"' '/version/ {print $2}')
major=${version%%.*}
if [ "$major" -lt 17 ]; then
  echo "error: Java $version found; Spark 4 needs Java 17 or newer." >&2
  exit 1
fi
# serve-sql and sql compile their small Java helpers (src/lakehouse_inv/serve/jvm/) with the JDK's javac
javac_bin="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
if ! command -v "$javac_bin" >/dev/null 2>&1; then
  echo "error: javac not found: a JDK (not only a JRE) is needed, e.g. 'apt-get install openjdk-17-jdk-headless'." >&2
  exit 1
fi
