"""Builds the Swift C library into the package: `pip install ./Sources/python`.

The build runs tools/build_clib.sh of the repository this directory sits in (two levels up):
a release build with the Swift runtime linked in, the library and what it needs copied into
campaign_ledger/lib/. Environment:
  CAMPAIGN_LEDGER_BUILD=debug   build in debug instead (the library then needs the Swift
                                toolchain's runtime at run time; for tests)
  CAMPAIGN_LEDGER_PREBUILT=DIR  do not build: take libCampaignLedgerC.so from DIR (e.g. the
                                package's .build/debug after `swift build`)
"""

import os
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        script = os.path.join(ROOT, "tools", "build_clib.sh")
        if not os.path.exists(os.path.join(ROOT, "Package.swift")) or not os.path.exists(script):
            raise SystemExit(f"campaign-ledger: {ROOT} is not the repository (no Package.swift or tools/build_clib.sh); "
                             "install from a checkout: pip install ./Sources/python")
        target = os.path.join(os.path.abspath(self.build_lib), "campaign_ledger", "lib")
        subprocess.run([script, "--lib-only", target], check=True, cwd=ROOT)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: it is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
