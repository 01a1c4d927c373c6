"""What every Google API emulator shares: discovery-driven routing and validation, OAuth, errors, batch and media."""
