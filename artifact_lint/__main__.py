"""`python -m artifact_lint` runs the same CLI as the `artifact-lint` script."""

from artifact_lint.cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
