"""The Gmail v1 emulator: messages stored as real MIME, shaped into Gmail's resources on the way out."""
