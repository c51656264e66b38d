"""Net Promoter Score (issue 16): survey answers imported from a file (`importer`) and the
figures, segments and triggers read from them (`figures`). Definitions: docs/nps.md."""
