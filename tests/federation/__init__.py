"""The whole federation on real nodes (issue 13, "Tests")."""
