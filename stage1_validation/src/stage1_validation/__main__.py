"""``python -m stage1_validation validate DATA --rules RULES``."""

from stage1_validation.cli import main

if __name__ == "__main__":
    main()
