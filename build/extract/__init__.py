"""Stage 2b: extract entities and links from the parsed text (docs/annotation-guidelines.md)."""
