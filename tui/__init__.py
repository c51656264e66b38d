"""retain-tui's front ends: the Textual app and the Typer command line, both over `core`."""
