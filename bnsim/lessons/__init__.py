"""The lessons' numbers and verdicts: one package per lesson, one module per tab."""
