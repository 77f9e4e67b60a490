"""The serving JVM's own classes (``jvm/*.java``): the guard's plan facts and rules, the password check.

They are compiled with the JDK's ``javac`` (Spark 4 needs a JDK 17 anyway, see scripts/check_java.sh) against
pyspark's jars, once per version of the sources: the classes land in a cache folder named after the sources' hash,
so a fresh checkout compiles them on its first ``serve-sql`` / ``sql`` (a few seconds) and later starts reuse them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lakehouse_inv.serve.session import ServeError

SOURCES = Path(__file__).with_name("jvm")
PACKAGE = "lakehouse_inv.jvm"


def cache_root() -> Path:
    base = os.environ.get("LAKEHOUSE_INV_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lakehouse_inv" / "jvm"


def _spark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def _javac() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "javac" if home else None
    found = str(candidate) if candidate and candidate.exists() else shutil.which("javac")
    if not found:
        raise ServeError(
            "javac not found: the SQL endpoint compiles its guard and password check; install a JDK 17 "
            "(e.g. 'apt-get install openjdk-17-jdk-headless') or set JAVA_HOME to one"
        )
    return found


def sources_hash() -> str:
    digest = hashlib.sha256()
    for source in sorted(SOURCES.glob("*.java")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    digest.update(str(_spark_jars()).encode())  # another pyspark: compile again
    return digest.hexdigest()[:16]


def classes_dir() -> Path:
    """The compiled classes' folder (for ``spark.driver.extraClassPath``), compiling them when not cached."""
    target = cache_root() / sources_hash()
    if (target / "lakehouse_inv" / "jvm").is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    command = [
        _javac(),
        "-nowarn",
        "--release",
        "17",
        "-cp",
        str(_spark_jars() / "*"),
        "-d",
        str(building),
        *map(str, sorted(SOURCES.glob("*.java"))),
    ]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise ServeError(f"compiling the endpoint's Java classes failed:\n{run.stderr[-3000:]}")
    try:
        building.rename(target)  # atomic: a concurrent start finds the whole folder or none
    except OSError:
        shutil.rmtree(building, ignore_errors=True)  # another process won the race: its classes are the same
    return target
