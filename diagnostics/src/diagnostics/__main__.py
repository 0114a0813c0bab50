"""``python -m diagnostics``: grade a candidate, run the self-test, print the rubric."""

from diagnostics.cli import main

if __name__ == "__main__":
    main()
