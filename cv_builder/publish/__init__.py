"""Publishing: atomic writes (atomic), output/ (files), homepage snippets, --site pages, PNG previews, build dates."""
