"""Pages for calls and application books, one module per family. Thin: parse input, call one
service, show the result."""
