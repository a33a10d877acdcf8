"""Privacy and governance: encryption of personal data, consent, erasure, export, audit."""
