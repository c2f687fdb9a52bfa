"""The ingest's input dialects, one module per record shape; ``registry.py`` lists them."""
