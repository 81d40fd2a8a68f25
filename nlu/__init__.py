"""Indonesian NLU: normalisation, tokenisation and entity extraction for crypto support."""
