"""``python -m stage3_mlops``."""

from stage3_mlops.cli import main

if __name__ == "__main__":
    main()
