"""``python -m stage2_log_analysis`` runs the ``logan`` command line."""

from stage2_log_analysis.cli import main

if __name__ == "__main__":
    main()
