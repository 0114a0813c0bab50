"""``python -m gradekit``."""

from gradekit.cli import main

if __name__ == "__main__":
    main()
