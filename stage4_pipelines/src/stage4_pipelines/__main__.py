"""``python -m stage4_pipelines``."""

from stage4_pipelines.cli import main

if __name__ == "__main__":
    main()
