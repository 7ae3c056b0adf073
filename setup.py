"""Package discovery that cannot forget a subpackage.

Everything else is in pyproject.toml. rules/ and generators/ live at the top of the repository
but ship as artifact_lint.rules and artifact_lint.generators (the package-dir mapping there), so
the package list is computed from the folders instead of being written by hand.
"""

from setuptools import find_packages, setup


def shipped_as(folder: str, package: str) -> list[str]:
    return [package] + [f"{package}.{name}" for name in find_packages(folder)]


setup(packages=find_packages(include=["artifact_lint", "artifact_lint.*"])
      + shipped_as("rules", "artifact_lint.rules") + shipped_as("generators", "artifact_lint.generators"))
