"""The shared kernel every app may import; it imports no app."""
